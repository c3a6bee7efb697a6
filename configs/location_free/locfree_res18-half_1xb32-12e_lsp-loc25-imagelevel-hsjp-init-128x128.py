# The 25% image-level arm on LSP Extended with its backbone initialised from HSJP
# pretraining on the unlabelled training crops (configs/hsjp/hsjp_res18-half_1xb32-12e_lsp-
# person-128x128.py): fewer location labels and no ImageNet. Point it at your run with
#   --cfg-options model.backbone.init_cfg.checkpoint=<hsjp work_dir>/transfer.pth
_base_ = ['./locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py']

hsjp_checkpoint = 'work_dirs/hsjp_res18-half_1xb32-12e_lsp-person-128x128/transfer.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=hsjp_checkpoint, prefix='backbone.')))
