# HRNet-W48 pose estimation on COCO from random initialisation.
# Everything else is inherited from the imagenet-init config (MMPose's recipe and the
# plugin's hooks): the three variants differ only in the backbone's init_cfg, so they compare.
_base_ = ['./td-hm_hrnet-w48_imagenet-init_8xb32-210e_coco-256x192.py']

# The backbone's own default initialisation (that of mmpose's HRNet).
scratch_init = [dict(type='Normal', std=0.001, layer=['Conv2d']),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
model = dict(backbone=dict(init_cfg=scratch_init))
