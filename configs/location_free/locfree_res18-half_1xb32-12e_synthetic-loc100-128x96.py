# Fully supervised upper bound: every instance keeps its location labels.
_base_ = ['./locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py']

location_fraction = 1.0
# the 25% config's pipeline with its SelectLocationLabels (found by type) at this fraction
# (every sample takes the heatmap loss, so no region presence labels: they only train the
# samples without location labels)
train_pipeline = [
    dict(step, fraction=location_fraction) if step['type'] == 'SelectLocationLabels' else step
    for step in _base_.train_pipeline if step['type'] != 'GenerateRegionPresenceLabels'
]
# one group only (every instance labelled, or none): a plain shuffle
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
model = dict(head=dict(presence_cfg=dict(region_loss=None)))
