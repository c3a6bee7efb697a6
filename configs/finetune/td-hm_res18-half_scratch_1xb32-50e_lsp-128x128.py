# Pose estimation on LSP Extended (real photos), trained from scratch (random
# initialisation): the baseline of the HSJP-initialised config next to it (same network,
# data and schedule).
_base_ = ['../_base_/td-hm_res18-half_1xb32_lsp-128x128.py']

# the backbone's own default initialisation (that of mmpose's ResNet)
scratch_init = [dict(type='Kaiming', layer=['Conv2d']),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
model = dict(backbone=dict(init_cfg=scratch_init))
