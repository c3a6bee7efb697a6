# Weakly supervised: presence labels only, no location labels at all.
_base_ = ['./locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py']

train_pipeline = _base_.train_pipeline
assert train_pipeline[-2]['type'] == 'SelectLocationLabels'
train_pipeline[-2] = dict(
    type='SelectLocationLabels', fraction=0.0, seed=_base_.location_seed)
# one group only (every instance labelled, or none): a plain shuffle
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
# without a heatmap loss the CAM peak values are not calibrated: score by presence. The
# presence BCE is the only loss here; it keeps the weight it was measured with (0.1).
model = dict(head=dict(score_mode='presence', loss_presence=dict(loss_weight=0.1)))
