# Supervised 2D-keypoint pretraining on generated people for the LSP Extended network: the
# small network at LSP's input size learns LSP's 14 joints on generated people (a source
# that costs no photo and no label). The generated people are COCO-17; MMPose's
# KeypointConverter moves their 12 limb joints into LSP's layout (LSP's neck and head top
# have no COCO counterpart and stay unlabelled). The mapping is read off the two metainfo
# files by joint name (hsjp_mmpose.datasets.layouts.keypoint_mapping('coco', 'lsp'); a test
# checks it). Transfers like an HSJP run (transfer.pth: all but the head's final layer) into
# configs/finetune/td-hm_res18-half_hsjp-init_1xb32-50e_lsp-128x128.py.
_base_ = ['../_base_/td-hm_res18-half_1xb32_lsp-128x128.py']

data_root = 'data/synthetic_source/'
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=200, start_factor=0.01, by_epoch=False),  # warm-up
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
custom_hooks = _base_.pretrain_hooks + [dict(type='ConvergenceRecorderHook')]

coco_to_lsp = dict(
    type='KeypointConverter', num_keypoints=14,
    mapping=[(16, 0), (14, 1), (12, 2), (11, 3), (13, 4), (15, 5), (10, 6), (8, 7), (6, 8),
             (5, 9), (7, 10), (9, 11)])
# LspDataset (LSP's metainfo: its flip pairs, sigmas) reading the COCO-17 files; every step
# after the converter sees LSP's 14 joints
dataset_type = 'LspDataset'
train_pipeline = [dict(type='LoadImage'), coco_to_lsp, *_base_.train_pipeline[1:]]
val_pipeline = [dict(type='LoadImage'), coco_to_lsp, *_base_.val_pipeline[1:]]
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/person_keypoints_train.json',
                 data_prefix=dict(img='images/train/'), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/person_keypoints_val.json',
                 data_prefix=dict(img='images/val/'), pipeline=val_pipeline))
test_dataloader = val_dataloader
# PCK only: CocoMetric scores the raw (COCO-17) annotations against LSP's 14 sigmas
val_evaluator = dict(_delete_=True, type='TorsoPCKAccuracy', thr=0.2)
test_evaluator = val_evaluator
