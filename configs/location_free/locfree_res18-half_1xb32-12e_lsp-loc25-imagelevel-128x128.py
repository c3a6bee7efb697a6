# Location-free pose estimation (Xu et al., CVPR 2022) on LSP Extended's photos, small
# enough for a CPU: ResNet-18 at half width, all four stages fused into 32x32 CAMs.
# 25% of the people keep location labels (heatmap loss); the other 75% have image-level
# labels only: which of the 14 joints the crop shows (presence), nothing about where.
# Data, network and evaluation are those of configs/_base_/td-hm_res18-half_1xb32_lsp-128x128.py.
_base_ = ['../_base_/td-hm_res18-half_1xb32_lsp-128x128.py', '../_base_/location_free.py']

# runtime
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))

# CAMs and heatmap targets at the finest backbone scale (stride 4); no DARK refinement: a CAM
# is no Gaussian (every arm of the benchmark, HeatmapHead included, decodes the same way)
codec = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(32, 32), sigma=2,
             unbiased=False)
model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    head=dict(
        _base_.location_free_head,  # training and scoring: configs/_base_/location_free.py
        _delete_=True,
        num_keypoints=14,
        in_channels=(32, 64, 128, 256),
        embed_dims=64,
        context_encoder=dict(
            type='SpatialGuidedContextEncoder', num_layers=1, num_heads=4,
            token_stride=2),
        prototype_generator=dict(
            type='RelationPrototypeGenerator', num_layers=2, num_heads=4,
            memory_stride=2),
        decoder=codec))

# Presence varies only where parts leave the crop: truncating shifts and erased regions.
# Both are placed without looking at the keypoints (no half-body crops, erasing anywhere
# in the crop), so the weak people's keypoint places reach the network only through their
# image-level labels: present in the crop after the transforms, or not.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=_base_.bbox_padding),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0.5, shift_factor=0.25,
         scale_factor=(0.75, 1.25), rotate_factor=40),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomKeypointErasing', prob=0.7, max_regions=3, size_range=(0.15, 0.4),
         anchor='random'),
    dict(type='GenerateTarget', encoder=codec),
    *_base_.location_label_steps,  # presence labels; location labels for 25%
    dict(type='PackPoseInputs'),
]
# three quarters of every batch from the located people (configs/_base_/location_free.py)
train_dataloader = dict(
    sampler=_base_.location_label_sampler, dataset=dict(pipeline=train_pipeline))

# the benchmark's extra measures: left/right accuracy per limb pair and distinct peak
# places per person (hsjp_mmpose/evaluation/left_right.py)
val_evaluator = [dict(type='TorsoPCKAccuracy', thr=0.2), dict(type='CocoMetric'),
                 dict(type='LeftRightAccuracy'),
                 dict(type='LeftRightAccuracy', min_separation=2., prefix='left_right_2px'),
                 dict(type='PeakPlaces')]
test_evaluator = val_evaluator
