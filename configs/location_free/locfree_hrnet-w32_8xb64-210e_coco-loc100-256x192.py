# Location-free pose estimation, HRNet-W32, COCO 256x192, 100% location labels (fully
# supervised upper bound).
_base_ = ['./locfree_hrnet-w32_8xb64-210e_coco-loc25-256x192.py']

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
