# Pose estimation on LSP Extended (real photos), initialised from HSJP pretraining on the
# unlabelled training crops (configs/hsjp/hsjp_res18-half_1xb32-12e_lsp-person-128x128.py).
# The whole pretrained network transfers except the head's final 1x1 layer:
# ExportBackboneHook's transfer.pth, loaded by Pretrained inits on the backbone and head.
# Point it at your run with
#   --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/transfer.pth \
#                 model.head.init_cfg.2.checkpoint=<work_dir>/transfer.pth
# Backbone only: --cfg-options model.head.init_cfg=None
_base_ = ['../_base_/td-hm_res18-half_1xb32_lsp-128x128.py']

hsjp_checkpoint = 'work_dirs/hsjp_res18-half_1xb32-12e_lsp-person-128x128/transfer.pth'
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
