# Pose estimation on the generated people from ImageNet weights. No ImageNet weights exist
# for the half-width ResNet-18 of the other two configs, so this one uses the full-width
# ResNet-18 (torchvision weights, downloaded on first use): same schedule and head, a
# bigger backbone (compare per parameter count and wall time, not only per AP).
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py']

model = dict(
    backbone=dict(
        base_channels=64,
        stem_channels=64,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    head=dict(in_channels=512))
