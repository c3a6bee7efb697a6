# Small top-down heatmap pose estimator on the generated people (data/synthetic_people/):
# ResNet-18 at half width (base and stem channels 32) + three 64-channel deconvolutions,
# input 128x96 (h x w), heatmaps 32x24. Trains on 2 CPU cores in minutes. The fine-tuning
# configs in configs/finetune/ and the HSJP pretraining config in configs/hsjp/ build on it;
# only the backbone's init_cfg (or the pretext target) differs between them.
_base_ = ['mmpose::_base_/default_runtime.py', './plugin_runtime.py']

# runtime
train_cfg = dict(max_epochs=30, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.01, by_epoch=False),  # warm-up
    dict(type='CosineAnnealingLR', begin=0, end=30, T_max=30, eta_min=1e-5, by_epoch=True,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='coco/AP', rule='greater'))
# The init check and NaN guard (plugin_runtime.py), and ConvergenceRecorderHook:
# <work_dir>/convergence.json, the validation metrics of every epoch. A config that sets
# its own custom_hooks replaces this list: add the recorder there too.
custom_hooks = _base_.train_hooks + [dict(type='ConvergenceRecorderHook')]

# codec settings
input_size = (96, 128)
codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=(24, 32), sigma=2)

# model settings
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, base_channels=32, stem_channels=32),
    head=dict(
        type='HeatmapHead',
        in_channels=256,  # 8 x base_channels
        out_channels=17,
        deconv_out_channels=(64, 64, 64),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# data settings
dataset_type = 'CocoDataset'
data_mode = 'topdown'
data_root = 'data/synthetic_people/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    # Milder than MMPose's COCO recipe (rotations up to 80 degrees, half-body crops): these
    # schedules are a few hundred iterations long.
    dict(type='RandomBBoxTransform', scale_factor=(0.75, 1.25), rotate_factor=30),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
# Data loading in the training process (num_workers=0) and PyTorch on every core: on 2 CPU
# cores a worker process only takes cores from the training step (timings:
# configs/hsjp/README.md). With a GPU, use workers instead.
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
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
    num_workers=0,
    persistent_workers=False,
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
# Ground truth from the dataset's raw annotations, so overriding data_root is enough.
# PCK@0.2 (normalised by the box) beside COCO AP: it tells a coarse model from a broken one
# while AP is still near 0.
val_evaluator = [dict(type='CocoMetric'), dict(type='PCKAccuracy', thr=0.2)]
test_evaluator = val_evaluator
