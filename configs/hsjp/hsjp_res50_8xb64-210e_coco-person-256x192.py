# HSJP pretraining of ResNet-50 on COCO person boxes: the HRNet-W32 recipe with MMPose's
# SimpleBaseline network (td-hm_res50_8xb64-210e_coco-256x192).
_base_ = ['./hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py']

scratch_init = [dict(type='Kaiming', layer=['Conv2d']),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=50, init_cfg=scratch_init),
    head=dict(in_channels=2048, deconv_out_channels=(256, 256, 256),
              deconv_kernel_sizes=(4, 4, 4)))
