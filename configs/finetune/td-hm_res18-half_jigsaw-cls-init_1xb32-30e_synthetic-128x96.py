# Pose estimation on the generated people, initialised from classic jigsaw classification
# (configs/jigsaw_cls/jigsaw-cls_res18-half_1xb32-30e_synthetic-person-128x96.py). Its
# classifier head does not transfer, so its transfer.pth holds the backbone alone: the
# head's Pretrained init of the hsjp-init config (prefix='head.') would stop with
# "head. is not in the pretrained model". Here only the backbone loads; the head's
# deconvolutions start from HeatmapHead's default init, as in the scratch config.
# Point it at your run with
#   --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/transfer.pth
# (or model.backbone.init_cfg.checkpoint=<work_dir>/backbone.pth model.backbone.init_cfg.prefix=None)
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py']

jigsaw_cls_checkpoint = (
    'work_dirs/jigsaw-cls_res18-half_1xb32-30e_synthetic-person-128x96/transfer.pth')
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=jigsaw_cls_checkpoint,
                      prefix='backbone.')))
