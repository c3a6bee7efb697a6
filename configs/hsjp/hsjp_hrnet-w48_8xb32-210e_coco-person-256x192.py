# HSJP pretraining of HRNet-W48 on COCO person boxes: the HRNet-W32 recipe with MMPose's
# W48 network and batch (td-hm_hrnet-w48_8xb32-210e_coco-256x192).
_base_ = ['./hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py']

auto_scale_lr = dict(base_batch_size=256)
model = dict(
    backbone=dict(
        extra=dict(
            stage2=dict(num_channels=(48, 96)),
            stage3=dict(num_channels=(48, 96, 192)),
            stage4=dict(num_channels=(48, 96, 192, 384)))),
    head=dict(in_channels=48))
train_dataloader = dict(batch_size=32)
