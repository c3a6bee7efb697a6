# 3D human pose from one image on the generated people (data/synthetic_people/, written by
# tools/make_synthetic_coco.py): root-relative 3D joints of a top-down person crop.
# The network is the small 2D one (configs/_base_/td-hm_res18-half_1xb32_synthetic-128x96.py:
# ResNet-18 at half width, three 64-channel deconvolutions, input 128x96, maps 32x24), with a
# LocationMap3DHead: 17 heatmaps + 3x17 root-relative X/Y/Z location maps (VNect-style).
# Root: the pelvis, midpoint of the hips (COCO joints 11 and 12). Units: mm (MPJPE, P-MPJPE).
# Trained from scratch (ResNet's default initialisation); see the hsjp-init variant beside it.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['hsjp_mmpose'], allow_failed_imports=False)

# runtime (as the 2D small configs)
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
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best='MPJPE', rule='less'))
# BackboneInitCheckHook reports how many backbone tensors a Pretrained init_cfg loaded
# (and fails when none matched); without one it only says so.
# NaNLossGuardHook stops on a non-finite loss before a NaN checkpoint is written.
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='BackboneInitCheckHook'),
                dict(type='NaNLossGuardHook'),
                # <work_dir>/convergence.json: the validation metrics of every epoch
                dict(type='ConvergenceRecorderHook')]

# codec settings: location maps in metres (location_scale: mm per unit), read relative to
# the root's (root_index: decoding subtracts the root joints' values)
input_size = (96, 128)
root_index = (11, 12)  # COCO order: the pelvis is the midpoint of the hips
codec = dict(type='LocationMap3D', input_size=input_size, heatmap_size=(24, 32), sigma=2,
             location_scale=1000., root_index=root_index)

# model settings
model = dict(
    type='TopdownPose3DEstimator',  # pred_instances.keypoints: root-relative 3D joints, mm
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, base_channels=32, stem_channels=32),
    head=dict(
        type='LocationMap3DHead',
        in_channels=256,  # 8 x base_channels
        out_channels=17,  # joints; the final layer has 4 x 17 channels
        deconv_out_channels=(64, 64, 64),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        # Gaussian-weighted mean absolute error of the location maps, in metres (about
        # 0.1 after 10 epochs on 600 easy images, against a heatmap MSE of about 0.007)
        location_loss=dict(type='L1Loss', use_target_weight=True, loss_weight=0.1),
        decoder=codec),
    # flip test: flipped heatmaps averaged as in 2D; flipped location maps with left and
    # right swapped and X negated
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# data settings
dataset_type = 'Keypoint3DCocoDataset'
data_mode = 'topdown'
data_root = 'data/synthetic_people/'
# MPJPE takes the action of its per-action results from target_img_path
# (``synthetic_<pose_kind>.<file>``): PackPoseInputs must keep it.
meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale', 'flip',
             'flip_direction', 'flip_indices', 'raw_ann_info', 'dataset_name',
             'target_img_path')
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    # Flip and rotation reach the 3D target too (GetRootRelativeKeypoints3D: left and
    # right swapped and X negated; X and Y rotated with the crop).
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.75, 1.25), rotate_factor=30),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GetRootRelativeKeypoints3D', root_index=root_index),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GetRootRelativeKeypoints3D', root_index=root_index),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
# Data loading in the training process (num_workers=0), as the 2D small configs (2 CPU cores).
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
# MMPose's own metric, twice: 'MPJPE' (no alignment) and 'P-MPJPE' (after a Procrustes
# alignment), both in mm; plus MPJPE_<pose kind> and P-MPJPE_<pose kind>.
val_evaluator = [dict(type='MPJPE', mode='mpjpe'), dict(type='MPJPE', mode='p-mpjpe')]
test_evaluator = val_evaluator
