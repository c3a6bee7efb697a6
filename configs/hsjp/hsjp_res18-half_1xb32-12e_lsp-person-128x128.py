# HSJP pretraining of the small network on the LSP Extended training crops (real photos,
# labels unused): each 128x128 person crop is cut into 2x2 cells of 64x64 pixels, every
# patch is a 60x60 crop at a random offset (patch_jitter=4, grey margins), the patches are
# shuffled, and the network regresses 4 heatmaps, one per patch, peaking where the patch
# now sits. Fine-tune with configs/finetune/td-hm_res18-half_hsjp-init_1xb32-50e_lsp-128x128.py.
_base_ = ['../_base_/td-hm_res18-half_1xb32_lsp-128x128.py',
          '../_base_/hsjp_pretraining.py']

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=200, start_factor=0.01, by_epoch=False),  # warm-up
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, convert_to_iter_based=True),
]
default_hooks = dict(
    checkpoint=dict(interval=max_epochs, save_best='jigsaw/patch_accuracy', rule='greater'))
# NaN guard and backbone export (plugin_runtime.py); shuffled input | ground-truth |
# predicted reassembly, through the visualizer backends; <work_dir>/convergence.json
custom_hooks = _base_.pretrain_hooks + [
    dict(type='JigsawVisualizationHook', enable=False, interval=50),
    dict(type='ConvergenceRecorderHook'),
]

# puzzle settings: the grid is stated here only; the datasets read it from RandomJigsaw,
# JigsawAccuracy and JigsawVisualizationHook from the samples RandomJigsaw packs
jigsaw_grid = (2, 2)  # (rows, cols); must divide input_size
input_size = (128, 128)
codec = dict(type='HeatmapJigsaw', input_size=input_size, heatmap_size=(32, 32),
             grid=jigsaw_grid, sigma=2)
jigsaw = dict(type='RandomJigsaw', grid=jigsaw_grid, input_size=input_size,
              permutations='all', patch_jitter=4, fill=128)

model = dict(
    # _delete_: the base's DARK heatmap settings do not apply to the puzzle codec
    head=dict(out_channels=jigsaw_grid[0] * jigsaw_grid[1], decoder=dict(codec, _delete_=True)),
    test_cfg=dict(flip_test=False))  # a flipped puzzle is another puzzle

dataset_type = 'CocoPersonDataset'  # person boxes, keypoints unused
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=_base_.bbox_padding),
    *_base_.hsjp_augmentation,  # flip, scale and shift; no rotation
    dict(type='TopdownAffine', input_size=input_size),
    dict(jigsaw, **_base_.hsjp_train_puzzle),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=_base_.jigsaw_meta_keys),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=_base_.bbox_padding),
    dict(type='TopdownAffine', input_size=input_size),
    dict(jigsaw, **_base_.hsjp_val_puzzle),
    dict(type='PackPoseInputs', meta_keys=_base_.jigsaw_meta_keys),
]
train_dataloader = dict(
    dataset=dict(type=dataset_type, min_bbox_size=16, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, min_bbox_size=16, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(type=dataset_type, min_bbox_size=16, pipeline=val_pipeline))
val_evaluator = dict(_delete_=True, type='JigsawAccuracy')
test_evaluator = val_evaluator
