# HRNet-W32 on LSP Extended at 256x256, backbone initialised from HSJP pretraining on the
# unlabelled training crops (configs/hsjp/hsjp_hrnet-w32_8xb64-210e_lsp-person-256x256.py
# writes backbone.pth, a backbone-only checkpoint, so no prefix). Point it at your run with
# --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/backbone.pth
_base_ = ['./td-hm_hrnet-w32_scratch_8xb64-210e_lsp-256x256.py']

hsjp_checkpoint = 'work_dirs/hsjp_hrnet-w32_8xb64-210e_lsp-person-256x256/backbone.pth'
model = dict(
    backbone=dict(init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=hsjp_checkpoint)))
