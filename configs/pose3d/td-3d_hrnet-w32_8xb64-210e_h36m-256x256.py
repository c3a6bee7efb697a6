# 3D human pose from one image on Human3.6M: root-relative 3D joints of a person crop,
# HRNet-W32 at 256x256 with a LocationMap3DHead (17 heatmaps + 3x17 X/Y/Z location maps,
# 64x64). Root: joint 0 (pelvis). Metrics: MPJPE and P-MPJPE in mm (MMPose's MPJPE metric).
# Backbone and schedule are MMPose's td-hm_hrnet-w32_8xb64-210e_coco-256x192.py (ImageNet
# weights; for HSJP weights set model.backbone.init_cfg.checkpoint=<work_dir>/backbone.pth).
#
# Data (MMPose's Human3.6M layout, written by MMPose's
# tools/dataset_converters/preprocess_h36m.py; see MMPose's 3D body keypoint dataset docs):
#   data/h36m/
#     annotation_body3d/fps50/h36m_train.npz   S1, S5, S6, S7, S8 (imgname, center, scale,
#     annotation_body3d/fps50/h36m_test.npz    S9, S11             part: 2D, S: 3D camera frame, m)
#     annotation_body3d/cameras.pkl            (optional: camera_param_file)
#     images/S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg ...
# Protocol 1 (MPJPE) and 2 (P-MPJPE) evaluate on S9 and S11. The fps10 files of the same
# converter (every 5th frame) train 5x faster per epoch.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
    '../_base_/plugin_runtime.py', '../_base_/pose3d_meta_keys.py']
# init check, NaN guard; <work_dir>/convergence.json: the validation metrics of every epoch
custom_hooks = _base_.train_hooks + [dict(type='ConvergenceRecorderHook')]
default_hooks = dict(checkpoint=dict(save_best='MPJPE', rule='less'))

# codec settings: location maps in metres (location_scale: mm per unit)
root_index = 0  # Human3.6M joint 0: the pelvis
codec = dict(type='LocationMap3D', input_size=(256, 256), heatmap_size=(64, 64), sigma=2,
             location_scale=1000., root_index=root_index)

# model settings: MMPose's HRNet-W32 (backbone from the base config), a 3D head
model = dict(
    type='TopdownPose3DEstimator',  # pred_instances.keypoints: root-relative 3D joints, mm
    head=dict(
        _delete_=True,
        type='LocationMap3DHead',
        in_channels=32,
        out_channels=17,
        deconv_out_channels=None,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        location_loss=dict(type='L1Loss', use_target_weight=True, loss_weight=0.1),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# data settings
dataset_type = 'Human36mImageDataset'
data_root = 'data/h36m/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.75, 1.25), rotate_factor=30),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GetRootRelativeKeypoints3D', root_index=root_index),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=_base_.meta_keys),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GetRootRelativeKeypoints3D', root_index=root_index),
    dict(type='PackPoseInputs', meta_keys=_base_.meta_keys),
]
# batch sizes, workers and samplers: MMPose's (the base config's)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation_body3d/fps50/h36m_train.npz',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotation_body3d/fps50/h36m_test.npz',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='MPJPE', mode='mpjpe'), dict(type='MPJPE', mode='p-mpjpe')]
test_evaluator = val_evaluator
