# Location-free pose estimation (Xu et al., CVPR 2022) on generated people, small enough
# for a CPU: ResNet-18 at half width, all four stages fused into 32x24 CAMs.
# 25% of the instances keep location labels (heatmap loss); all have presence labels.
# Data: `python tools/generate_synthetic_coco.py data/synthetic_coco` (or set data_root).
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['hsjp_mmpose'], allow_failed_imports=False)
default_scope = 'mmpose'

# fraction of instances with location labels; seed of their (deterministic) selection
location_fraction = 0.25
location_seed = 0

# runtime
max_epochs = 12
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs, save_best='coco/AP',
                    rule='greater', max_keep_ckpts=1))

# codec: CAMs and heatmap targets at the finest backbone scale (stride 4)
codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet', depth=18, base_channels=32, stem_channels=32,
        out_indices=(0, 1, 2, 3)),
    head=dict(
        type='LocationFreeHead',
        in_channels=(32, 64, 128, 256),
        num_keypoints=17,
        embed_dims=64,
        context_encoder=dict(
            type='SpatialGuidedContextEncoder', num_layers=1, num_heads=4,
            token_stride=2),
        prototype_generator=dict(
            type='RelationPrototypeGenerator', num_layers=2, num_heads=4,
            memory_stride=2),
        pooling='topk',
        topk_ratio=0.02,
        # BCE on logits (use_sigmoid=False). Weighted low against the heatmap loss: its
        # gradient is concentrated on the top-k CAM locations and, at equal weight, it
        # kept the CAMs from fitting the heatmaps (loss above that of all-zero CAMs).
        loss_presence=dict(type='BCELoss', loss_weight=0.1),
        loss_heatmap=dict(type='KeypointMSELoss', use_target_weight=True, loss_weight=10.),
        score_mode='product',
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# data
dataset_type = 'CocoDataset'
data_mode = 'topdown'
data_root = 'data/synthetic_coco/'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='GeneratePresenceLabels'),
    dict(type='SelectLocationLabels', fraction=location_fraction, seed=location_seed),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='images/train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# ground-truth boxes; CocoMetric builds its ground truth from the data set itself, so
# overriding data_root is enough
val_evaluator = [dict(type='CocoMetric'), dict(type='PCKAccuracy', thr=0.2)]
test_evaluator = val_evaluator
