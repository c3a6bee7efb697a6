# Fully supervised upper bound: every instance keeps its location labels.
_base_ = ['./locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py']

train_pipeline = _base_.train_pipeline
assert train_pipeline[-2]['type'] == 'SelectLocationLabels'
train_pipeline[-2] = dict(
    type='SelectLocationLabels', fraction=1.0, seed=_base_.location_seed)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
