# Supervised 2D-keypoint pretraining, the labelled-source counterpart of HSJP: the small
# pose network learns keypoint heatmaps on a *source* set of generated people disjoint from
# the downstream one (another seed, more people), then transfers like an HSJP run:
# ExportBackboneHook writes <work_dir>/transfer.pth (all but the head's final layer) and
# backbone.pth. Generate the source set with
#   python tools/make_synthetic_coco.py --out data/synthetic_source --num-train 5000 \
#       --num-val 200 --seed 1 --level easy
# (the downstream data/synthetic_people/ uses seed 0). Fine-tune from it with
# configs/finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py and
#   --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/transfer.pth \
#                 model.head.init_cfg.2.checkpoint=<work_dir>/transfer.pth
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py']

data_root = 'data/synthetic_source/'

# runtime: 12 epochs (as many as the quickstart's HSJP pretraining)
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.01, by_epoch=False),  # warm-up
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
# NaN guard; transfer.pth (all but head.final_layer), backbone.pth and backbone_best.pth (at
# the best coco/AP on the source's validation split); <work_dir>/convergence.json
custom_hooks = _base_.pretrain_hooks + [dict(type='ConvergenceRecorderHook')]

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
