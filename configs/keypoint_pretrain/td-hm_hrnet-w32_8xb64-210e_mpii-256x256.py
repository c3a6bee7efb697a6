# Supervised 2D-keypoint pretraining on MPII (16 joints, 256x256), a labelled pretraining
# source for another target (e.g. Human3.6M), beside HSJP's self-supervised one. Schedule,
# model, data and PCKh evaluation are MMPose's td-hm_hrnet-w32_8xb64-210e_mpii-256x256
# (ImageNet-initialised HRNet, as there); the run ends like an HSJP run with
# <work_dir>/backbone.pth (and backbone_best.pth at the best PCKh) and transfer.pth (all but
# the head's final layer, which predicts MPII's 16 joints). HRNet's head is that final
# layer alone, so the backbone is what transfers: point a fine-tuning config's backbone
# init at backbone.pth (no prefix) or at transfer.pth with prefix='backbone.'.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py',
          '../_base_/plugin_runtime.py']

# NaN guard, backbone export (plugin_runtime.py), <work_dir>/convergence.json
custom_hooks = _base_.pretrain_hooks + [dict(type='ConvergenceRecorderHook')]
