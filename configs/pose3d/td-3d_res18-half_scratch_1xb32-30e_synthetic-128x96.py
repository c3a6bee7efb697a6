# 3D human pose from one image on the generated people (data/synthetic_people/, written by
# tools/make_synthetic_coco.py): root-relative 3D joints of a top-down person crop.
# The network, schedule, hooks and data loading are the small 2D ones
# (configs/_base_/td-hm_res18-half_1xb32_synthetic-128x96.py: ResNet-18 at half width, three
# 64-channel deconvolutions, input 128x96, maps 32x24); the head is a LocationMap3DHead:
# 17 heatmaps + 3x17 root-relative X/Y/Z location maps (VNect-style).
# Root: the pelvis, midpoint of the hips (COCO joints 11 and 12). Units: mm (MPJPE, P-MPJPE).
# Trained from scratch (ResNet's default initialisation); see the hsjp-init variant beside it.
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py',
          '../_base_/pose3d_meta_keys.py']

default_hooks = dict(checkpoint=dict(save_best='MPJPE', rule='less'))

# codec settings: location maps in metres (location_scale: mm per unit), read relative to
# the root's (root_index: decoding subtracts the root joints' values)
input_size = (96, 128)
root_index = (11, 12)  # COCO order: the pelvis is the midpoint of the hips
codec = dict(type='LocationMap3D', input_size=input_size, heatmap_size=(24, 32), sigma=2,
             location_scale=1000., root_index=root_index)

# model settings
model = dict(
    type='TopdownPose3DEstimator',  # pred_instances.keypoints: root-relative 3D joints, mm
    head=dict(
        type='LocationMap3DHead',
        out_channels=17,  # joints; the final layer has 4 x 17 channels
        # Gaussian-weighted mean absolute error of the location maps, in metres, weighted
        # so that it does not swamp the heatmap MSE (configs/pose3d/README.md)
        location_loss=dict(type='L1Loss', use_target_weight=True, loss_weight=0.1),
        # the location maps predict the residual from the running mean training pose
        running_mean_pose=True,
        decoder=codec))
# flip test (from the base): flipped heatmaps averaged as in 2D; flipped location maps with
# left and right swapped and X negated

# data settings
dataset_type = 'Keypoint3DCocoDataset'
# PackPoseInputs keeps target_img_path (pose3d_meta_keys.py): MPJPE takes the action of its
# per-action results from it (``synthetic_<pose_kind>.<file>``).
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    # Flip and rotation reach the 3D target too (GetRootRelativeKeypoints3D: left and
    # right swapped and X negated; X and Y rotated with the crop).
    dict(type='RandomFlip', direction='horizontal'),
    # no crop-scale jitter: the person fills the crop as at test, so the pixel size of a
    # limb keeps one meaning in mm (configs/pose3d/README.md)
    dict(type='RandomBBoxTransform', scale_factor=(1.0, 1.0), rotate_factor=30),
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
train_dataloader = dict(dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=val_pipeline))
test_dataloader = val_dataloader
# MMPose's own metric, twice: 'MPJPE' (no alignment) and 'P-MPJPE' (after a Procrustes
# alignment), both in mm; plus MPJPE_<pose kind> and P-MPJPE_<pose kind>.
val_evaluator = [dict(type='MPJPE', mode='mpjpe'), dict(type='MPJPE', mode='p-mpjpe')]
test_evaluator = val_evaluator
