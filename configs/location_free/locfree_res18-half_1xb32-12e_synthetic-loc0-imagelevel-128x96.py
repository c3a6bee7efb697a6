# Location-free head on generated people with image-level labels only: which keypoints the
# crop shows, for every instance; no location label for anyone (the seed's claim).
_base_ = ['./locfree_res18-half_1xb32-12e_synthetic-loc25-imagelevel-128x96.py']

location_fraction = 0.0
train_pipeline = [
    dict(step, fraction=location_fraction) if step['type'] == 'SelectLocationLabels' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
# no heatmap loss to calibrate the CAM peaks: score by presence; the presence losses are
# the only ones
model = dict(
    head=dict(
        score_mode='presence',
        presence_cfg=dict(loss=dict(loss_weight=0.1), part_loss=dict(loss_weight=0.05))))
