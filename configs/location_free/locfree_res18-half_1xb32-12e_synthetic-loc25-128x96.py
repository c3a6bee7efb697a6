# Location-free pose estimation (Xu et al., CVPR 2022) on generated people, small enough
# for a CPU: ResNet-18 at half width, all four stages fused into 32x24 CAMs.
# 25% of the instances keep location labels (heatmap loss); all have presence labels, and
# the other 75% coarse box labels simulated from the truth (region presence, below). The
# image-level 25% arm is locfree_res18-half_1xb32-12e_synthetic-loc25-imagelevel-128x96.py.
# Data: `python tools/make_synthetic_coco.py --out data/synthetic_people --num-train 1000
# --num-val 200` (or override the dataloaders' data_root). Data, pipeline and evaluation
# are those of the other small configs (configs/_base_/td-hm_res18-half_...).
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py',
          '../_base_/location_free.py']

# runtime
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))

codec = _base_.codec  # CAMs and heatmap targets at the finest backbone scale (stride 4)

# Region presence labels (configs/location_free/README.md, "Region presence"): for each
# person, R = 8 random boxes of the heatmap grid (0.2-0.8 of its width and height) and, per
# keypoint, whether it lies in each box: 8 yes/no answers per keypoint per person on top of
# the image-level presence label. RegionPresenceLoss reads each CAM as a location
# distribution and fits the share of it inside every box to those answers, on the samples
# without location labels (presence_cfg.on_located=False). Weighted 0.1 so that it does not
# outweigh the located samples' heatmap loss and keep the CAMs from fitting the heatmaps
# (the weak-only config, where it is the only location signal, sets 1).
region_presence_step = dict(type='GenerateRegionPresenceLabels', num_regions=8,
                            size_range=(0.2, 0.8))
region_loss = dict(type='RegionPresenceLoss', temperature=10., loss_weight=0.1)

model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    head=dict(
        _base_.location_free_head,  # training and scoring: configs/_base_/location_free.py
        _delete_=True,
        in_channels=(32, 64, 128, 256),
        embed_dims=64,
        context_encoder=dict(
            type='SpatialGuidedContextEncoder', num_layers=1, num_heads=4,
            token_stride=2),
        prototype_generator=dict(
            type='RelationPrototypeGenerator', num_layers=2, num_heads=4,
            memory_stride=2),
        presence_cfg=dict(_base_.location_free_head['presence_cfg'],
                          region_loss=region_loss),
        decoder=codec))

# Presence labels only teach *where* a keypoint is when presence varies. On whole-person
# crops nearly every keypoint is present in every sample, so the pipeline takes parts out of
# view before the labels are computed: half-body crops, truncating box shifts, and erased
# regions centred near random keypoints. Presence (GeneratePresenceLabels) and heatmap
# weights (GenerateTarget) come after them; location labels for a fraction of instances.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody', prob=0.3, min_total_keypoints=8, min_upper_keypoints=2,
         min_lower_keypoints=3),
    dict(type='RandomBBoxTransform', shift_prob=0.5, shift_factor=0.25,
         scale_factor=(0.75, 1.25), rotate_factor=30),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomKeypointErasing', prob=0.7, max_regions=3, size_range=(0.15, 0.4)),
    dict(type='GenerateTarget', encoder=codec),
    *_base_.location_label_steps,  # presence labels; location labels for 25%
    region_presence_step,
    dict(type='PackPoseInputs'),
]
# three quarters of every batch from the located instances (configs/_base_/location_free.py)
train_dataloader = dict(
    sampler=_base_.location_label_sampler, dataset=dict(pipeline=train_pipeline))

# the benchmark's extra measures: left/right accuracy per pair (both keypoints visible and
# >= 4 heatmap px apart; hips are rarely 4 px apart on generated people, so also at 2 px)
# and distinct peak places per person (hsjp_mmpose/evaluation/left_right.py)
val_evaluator = [dict(type='CocoMetric'), dict(type='PCKAccuracy', thr=0.2),
                 dict(type='LeftRightAccuracy'),
                 dict(type='LeftRightAccuracy', min_separation=2., prefix='left_right_2px'),
                 dict(type='PeakPlaces')]
test_evaluator = val_evaluator
