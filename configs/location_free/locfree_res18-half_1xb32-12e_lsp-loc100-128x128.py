# Location-free head on LSP Extended with every person's location labels (and presence).
_base_ = ['./locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py']

location_fraction = 1.0
train_pipeline = [
    dict(step, fraction=location_fraction) if step['type'] == 'SelectLocationLabels' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
