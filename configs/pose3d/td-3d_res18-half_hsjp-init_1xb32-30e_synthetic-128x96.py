# 3D human pose on the generated people, initialised from HSJP pretraining
# (configs/hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py), as the 2D
# configs/finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py: the whole
# pretrained network transfers except the head's final 1x1 layer (here 4 x 17 channels:
# heatmaps and location maps). ExportBackboneHook's transfer.pth holds it with the model's
# own key names, loaded by Pretrained inits with a prefix on the backbone and on the head.
# Point it at your run with
#   --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/transfer.pth \
#                 model.head.init_cfg.2.checkpoint=<work_dir>/transfer.pth
# Backbone only (the head's deconvolutions from HeatmapHead's default init):
#   --cfg-options model.head.init_cfg=None
# (or model.backbone.init_cfg.checkpoint=<work_dir>/backbone.pth
#     model.backbone.init_cfg.prefix=None)
_base_ = ['./td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py']

hsjp_checkpoint = 'work_dirs/hsjp_res18-half_1xb32-30e_synthetic-person-128x96/transfer.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=hsjp_checkpoint, prefix='backbone.')),
    head=dict(init_cfg=[
        # HeatmapHead's default init, which the final layer keeps ...
        dict(type='Normal', layer=['Conv2d', 'ConvTranspose2d'], std=0.001),
        dict(type='Constant', layer='BatchNorm2d', val=1),
        # ... and the pretrained deconvolutions (Pretrained is applied last)
        dict(type='Pretrained', checkpoint=hsjp_checkpoint, prefix='head.'),
    ]))
