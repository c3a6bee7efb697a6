# Pose estimation on the generated people, backbone initialised from HSJP pretraining
# (configs/hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py writes backbone.pth,
# a backbone-only checkpoint, so no prefix). Point it at your run with
# --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/backbone.pth
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py']

hsjp_checkpoint = 'work_dirs/hsjp_res18-half_1xb32-30e_synthetic-person-128x96/backbone.pth'
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=hsjp_checkpoint)))
