# HRNet-W32 pose estimation on COCO from random initialisation.
# Schedule, data and head are MMPose's td-hm_hrnet-w32_8xb64-210e_coco-256x192.py; the hsjp-init, scratch and
# imagenet-init variants differ only in the backbone's init_cfg, so they compare.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py']
custom_imports = dict(imports=['hsjp_mmpose'], allow_failed_imports=False)
# Reports how many backbone tensors the init_cfg loaded, and fails when none matched.
# NaNLossGuardHook stops on a non-finite loss before a NaN checkpoint is written.
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='PretrainedInitCheckHook'),
                dict(type='NaNLossGuardHook')]

# The backbone's own default initialisation (that of mmpose's HRNet).
scratch_init = [dict(type='Normal', std=0.001, layer=['Conv2d']),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
model = dict(backbone=dict(init_cfg=scratch_init))
