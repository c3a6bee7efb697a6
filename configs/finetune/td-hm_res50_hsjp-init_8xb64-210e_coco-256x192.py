# ResNet-50 (SimpleBaseline) pose estimation on COCO initialised from HSJP pretraining
# (configs/hsjp/hsjp_res50_8xb64-210e_coco-person-256x192.py). As in the paper, everything
# transfers except the head's final 1x1 layer: ExportBackboneHook's transfer.pth holds the
# backbone and the three deconvolutions under the model's own key names. Point it at your run:
#   --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/transfer.pth \
#                 model.head.init_cfg.2.checkpoint=<work_dir>/transfer.pth
# Backbone only: add model.head.init_cfg=None.
# Everything else is the imagenet-init config's (MMPose's recipe), inherited: the hsjp-init,
# scratch and imagenet-init variants differ only in their init_cfg, so they compare.
_base_ = ['./td-hm_res50_imagenet-init_8xb64-210e_coco-256x192.py']

hsjp_checkpoint = 'work_dirs/hsjp_res50_8xb64-210e_coco-person-256x192/transfer.pth'
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
