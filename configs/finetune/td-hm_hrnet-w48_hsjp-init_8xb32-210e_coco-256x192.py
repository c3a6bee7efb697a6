# HRNet-W48 pose estimation on COCO, backbone initialised from HSJP pretraining
# (configs/hsjp/hsjp_hrnet-w48_8xb32-210e_coco-person-256x192.py writes backbone.pth, a
# backbone-only checkpoint, so no prefix). Point it at your run with
# --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/backbone.pth
# MMPose's HRNet head is the final 1x1 layer alone, so the backbone is all of the network
# that transfers from the puzzle task (the paper's "all but the last layer").
# Everything else is inherited from the imagenet-init config (MMPose's recipe and the
# plugin's hooks): the three variants differ only in the backbone's init_cfg, so they compare.
_base_ = ['./td-hm_hrnet-w48_imagenet-init_8xb32-210e_coco-256x192.py']

hsjp_checkpoint = 'work_dirs/hsjp_hrnet-w48_8xb32-210e_coco-person-256x192/backbone.pth'
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=hsjp_checkpoint)))
