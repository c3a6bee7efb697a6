# What every config here adds to MMPose's runtime: the plugin's modules and the hook lists
# the configs pick from. Its keys are new to MMPose's configs (mmengine refuses a key that
# two bases both set), so it is inherited beside an mmpose:: base:
#   _base_ = ['mmpose::body_2d_keypoint/.../td-hm_..._coco-256x192.py',
#             '../_base_/plugin_runtime.py']
#   custom_hooks = _base_.train_hooks + [dict(type='ConvergenceRecorderHook')]
custom_imports = dict(imports=['hsjp_mmpose'], allow_failed_imports=False)

# A run whose weights start from init_cfgs (fine-tuning, supervised training):
# - SyncBuffersHook: MMPose's default (BatchNorm statistics in step across processes).
# - PretrainedInitCheckHook: reports how many tensors each Pretrained init_cfg (backbone,
#   head) loaded, and fails when one loaded none; without one it only says so.
# - NaNLossGuardHook: stops on a non-finite loss before a NaN checkpoint is written.
train_hooks = [dict(type='SyncBuffersHook'), dict(type='PretrainedInitCheckHook'),
               dict(type='NaNLossGuardHook')]

# A pretraining run (HSJP, jigsaw classification, keypoints on a source set): it starts from
# the networks' default initialisation and ends with the weights the fine-tuning configs
# load. ExportBackboneHook writes <work_dir>/transfer.pth (all but head.final_layer),
# backbone.pth and backbone_best.pth.
pretrain_hooks = [dict(type='SyncBuffersHook'), dict(type='NaNLossGuardHook'),
                  dict(type='ExportBackboneHook', filename='backbone.pth')]

# Add dict(type='ConvergenceRecorderHook') for <work_dir>/convergence.json, the validation
# metrics of every epoch (tools/plot_convergence.py draws them).
