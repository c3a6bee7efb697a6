# ResNet-50 pose estimation on COCO from ImageNet weights (MMPose's own recipe).
# Schedule, data and head are MMPose's td-hm_res50_8xb64-210e_coco-256x192.py,
# with the plugin's hooks; the scratch and hsjp-init variants inherit this config and change
# only the backbone's init_cfg, so the three compare.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py',
          '../_base_/plugin_runtime.py']
custom_hooks = _base_.train_hooks  # init check, NaN guard

model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')))
