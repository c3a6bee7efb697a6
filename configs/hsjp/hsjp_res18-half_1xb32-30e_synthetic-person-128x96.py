# HSJP pretraining of the small network on the generated people (labels unused): each
# 128x96 person crop is cut into 2x2 cells of 64x48 pixels, every patch is a 60x44 crop at
# a random offset (patch_jitter=4, grey margins), the patches are shuffled, and the
# network regresses 4 heatmaps, one per patch, peaking where the patch now sits.
# On a few minutes of CPU, a 2x2 puzzle leaves its chance level (25%) within the first
# epoch, while a 4x3 one (12 heatmaps on 8x8-pixel cells) stayed at chance for 3 epochs;
# use a finer grid (e.g. the quickstart's --grid 4 3) with longer schedules.
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py',
          '../_base_/jigsaw_meta_keys.py']

default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='jigsaw/patch_accuracy',
                    rule='greater'))
custom_hooks = [
    dict(type='SyncBuffersHook'),
    # stops on a non-finite loss before a NaN checkpoint is written
    dict(type='NaNLossGuardHook'),
    # writes <work_dir>/transfer.pth (all but head.final_layer), backbone.pth and
    # backbone_best.pth for the fine-tuning configs
    dict(type='ExportBackboneHook', filename='backbone.pth'),
    # shuffled input | ground-truth | predicted reassembly, through the visualizer backends
    dict(type='JigsawVisualizationHook', enable=False, interval=50),
    # <work_dir>/convergence.json: the validation metrics of every epoch
    dict(type='ConvergenceRecorderHook'),
]

# puzzle settings
jigsaw_grid = (2, 2)  # (rows, cols); must divide input_size
input_size = (96, 128)
codec = dict(type='HeatmapJigsaw', input_size=input_size, heatmap_size=(24, 32),
             grid=jigsaw_grid, sigma=2)
jigsaw = dict(type='RandomJigsaw', grid=jigsaw_grid, input_size=input_size,
              permutations='all', patch_jitter=4, fill=128)

model = dict(
    head=dict(out_channels=jigsaw_grid[0] * jigsaw_grid[1], decoder=codec),
    test_cfg=dict(flip_test=False))  # a flipped puzzle is another puzzle

dataset_type = 'CocoPersonDataset'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),  # before the shuffle
    # No rotation: a rotated crop has black wedges in its corners that give corner cells
    # away (the full-size COCO configs do the same).
    dict(type='RandomBBoxTransform', rotate_prob=0.),
    dict(type='TopdownAffine', input_size=input_size),
    dict(jigsaw, color_jitter=0.2, grayscale_prob=0.2),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys={{_base_.jigsaw_meta_keys}}),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    # the same puzzle for a sample in every epoch and run: save_best and mim test compare
    # like with like
    dict(jigsaw, per_sample_seed=True),
    dict(type='PackPoseInputs', meta_keys={{_base_.jigsaw_meta_keys}}),
]
train_dataloader = dict(
    dataset=dict(type=dataset_type, jigsaw_grid=jigsaw_grid, min_bbox_size=16,
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, jigsaw_grid=jigsaw_grid, min_bbox_size=16,
                 pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='JigsawAccuracy', grid=jigsaw_grid)
test_evaluator = val_evaluator
