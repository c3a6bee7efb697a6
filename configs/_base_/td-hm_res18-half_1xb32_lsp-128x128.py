# The small top-down heatmap network of td-hm_res18-half_1xb32_synthetic-128x96.py on real
# photos: Leeds Sports Pose Extended (14 joints, one person per image, boxes from the joints;
# `python tools/dataset_converters/lsp2coco.py` writes data/lsp_extended/). The people
# are often folded or stretched (gymnastics, parkour), so the crop is square. Metric:
# PCK@0.2 of the torso (TorsoPCKAccuracy, the set's standard), AP with LSP's sigmas beside it.
_base_ = ['mmpose::_base_/default_runtime.py', './plugin_runtime.py']

# runtime: 50 epochs of the 8,000 training people fit an hour on 2 CPU cores
max_epochs = 50
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=200, start_factor=0.01, by_epoch=False),  # warm-up
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=5, max_keep_ckpts=1, save_best='tPCK', rule='greater'))
custom_hooks = _base_.train_hooks + [dict(type='ConvergenceRecorderHook')]

# codec settings
input_size = (128, 128)
# DARK (unbiased encoding and decoding): sub-pixel places matter on 32x32 heatmaps, where
# 0.2 of a torso is about 1.5 heatmap pixels (kernel chosen on the val split)
codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=(32, 32), sigma=2,
             unbiased=True, blur_kernel_size=5)

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
        out_channels=14,
        deconv_out_channels=(64, 64, 64),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# data settings
# Crops as tight as the boxes (the joints' extent plus 10% a side, from the converter):
# MMPose's default padding of 1.25 leaves the small network fewer pixels per person
# (configs/hsjp/README.md, "LSP Extended").
bbox_padding = 1.0
dataset_type = 'LspDataset'
data_mode = 'topdown'
data_root = 'data/lsp_extended/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=bbox_padding),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.75, 1.25), rotate_factor=40),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=bbox_padding),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
# data loading in the training process on 2 CPU cores (see the synthetic base config)
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/lspet_train.json',
        data_prefix=dict(img='images/'),
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
        ann_file='annotations/lspet_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline))
# the test split is touched only for reported numbers
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'],
                                 ann_file='annotations/lspet_test.json'))
val_evaluator = [dict(type='TorsoPCKAccuracy', thr=0.2), dict(type='CocoMetric')]
test_evaluator = val_evaluator
