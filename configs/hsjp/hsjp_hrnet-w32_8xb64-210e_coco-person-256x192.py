# HSJP (heatmap-style jigsaw puzzles) pretraining of HRNet-W32 on the person boxes of COCO
# train2017, keypoints unused. Each 256x192 crop is cut into 4x3 cells of 64x64 pixels,
# every patch is a 56x56 crop at a random offset (patch_jitter=0.125, grey margins), the
# patches are shuffled, and the network regresses 12 heatmaps (one per patch, peaking at
# the centre of the cell where it now sits) with the stock TopdownPoseEstimator,
# HeatmapHead and KeypointMSELoss. The run ends with <work_dir>/backbone.pth (and
# backbone_best.pth at the best jigsaw accuracy) for configs/finetune/.
# Schedule, optimiser and model are those of MMPose's td-hm_hrnet-w32_8xb64-210e_coco-256x192.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
          '../_base_/plugin_runtime.py', '../_base_/hsjp_pretraining.py']

default_hooks = dict(checkpoint=dict(save_best='jigsaw/patch_accuracy', rule='greater'))
# NaN guard and backbone export (plugin_runtime.py); shuffled input | ground-truth |
# predicted reassembly, through the visualizer backends
custom_hooks = _base_.pretrain_hooks + [
    dict(type='JigsawVisualizationHook', enable=False, interval=50)]

# puzzle settings: the grid is stated here only; the datasets read it from RandomJigsaw,
# JigsawAccuracy and JigsawVisualizationHook from the samples RandomJigsaw packs
jigsaw_grid = (4, 3)  # (rows, cols); must divide input_size
input_size = (192, 256)
codec = dict(type='HeatmapJigsaw', input_size=input_size, heatmap_size=(48, 64),
             grid=jigsaw_grid, sigma=2)
jigsaw = dict(type='RandomJigsaw', grid=jigsaw_grid, input_size=input_size,
              permutations='all', patch_jitter=0.125, fill=128)

# Pretraining starts from the backbone's own default initialisation (mmpose's HRNet's).
scratch_init = [dict(type='Normal', std=0.001, layer=['Conv2d']),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
model = dict(
    backbone=dict(init_cfg=scratch_init),
    head=dict(out_channels=jigsaw_grid[0] * jigsaw_grid[1], decoder=codec),
    test_cfg=dict(flip_test=False))  # a flipped puzzle is another puzzle

# data settings: every non-crowd person box of at least 32x32 pixels
dataset_type = 'CocoPersonDataset'
data_root = 'data/coco/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    *_base_.hsjp_augmentation,  # flip, scale and shift; no rotation
    dict(type='TopdownAffine', input_size=input_size),
    dict(jigsaw, **_base_.hsjp_train_puzzle),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=_base_.jigsaw_meta_keys),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(jigsaw, **_base_.hsjp_val_puzzle),
    dict(type='PackPoseInputs', meta_keys=_base_.jigsaw_meta_keys),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        min_bbox_size=32,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        min_bbox_size=32,
        ann_file='annotations/person_keypoints_val2017.json',
        bbox_file=None,  # ground-truth person boxes
        data_prefix=dict(img='val2017/'),
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='JigsawAccuracy')
test_evaluator = val_evaluator
