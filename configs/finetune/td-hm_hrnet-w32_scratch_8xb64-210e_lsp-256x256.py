# HRNet-W32 pose estimation on LSP Extended (real photos, 14 joints) at 256x256, from random
# initialisation: MMPose's HRNet-W32 recipe (Adam 5e-4, 210 epochs, MultiStepLR 170/200,
# batch 64 x 8 GPUs) with LSP's data, square crops as MMPose's MPII configs use, and its
# metric, PCK@0.2 of the torso (AP with LSP's sigmas beside it). Convert the published
# folder first: python tools/dataset_converters/lsp2coco.py --data-root DIR \
#     --out-dir data/lsp_extended
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
          '../_base_/plugin_runtime.py']

default_hooks = dict(checkpoint=dict(save_best='tPCK', rule='greater'))
custom_hooks = _base_.train_hooks + [dict(type='ConvergenceRecorderHook')]

codec = dict(type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
# the backbone's own default initialisation (that of mmpose's HRNet)
scratch_init = [dict(type='Normal', std=0.001, layer=['Conv2d']),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
model = dict(
    backbone=dict(init_cfg=scratch_init),
    head=dict(out_channels=14, decoder=codec))

# crops as tight as the boxes (the joints' extent plus 10% a side), as the small LSP configs
dataset_type = 'LspDataset'
data_root = 'data/lsp_extended/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', rotate_factor=60),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/lspet_train.json', data_prefix=dict(img='images/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/lspet_val.json', bbox_file=None,
                 data_prefix=dict(img='images/'), pipeline=val_pipeline))
# the test split is touched only for reported numbers (ground-truth boxes: bbox_file=None,
# or the base's COCO detection file is inherited)
test_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_mode='topdown',
                 ann_file='annotations/lspet_test.json', bbox_file=None,
                 data_prefix=dict(img='images/'), test_mode=True, pipeline=val_pipeline))
val_evaluator = [dict(type='TorsoPCKAccuracy', thr=0.2), dict(type='CocoMetric')]
test_evaluator = val_evaluator
