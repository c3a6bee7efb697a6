# Baseline arm of the location-free benchmark: the 25% config with every presence loss off
# (image-level BCE, part maps, region presence), so the weak-only quarter of every batch
# adds no loss: what the located 25% teach LocationFreeHead alone, at the same iterations
# and batch composition. Without a trained presence branch the keypoint score is the CAM
# peak.
_base_ = ['./locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py']

train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'GenerateRegionPresenceLabels'
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    head=dict(
        score_mode='peak',
        presence_cfg=dict(loss=dict(loss_weight=0.), part_loss=None, region_loss=None)))
