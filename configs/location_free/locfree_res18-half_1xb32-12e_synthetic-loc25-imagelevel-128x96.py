# Location-free head on generated people: 25% of the instances with location labels, the
# other 75% with image-level labels only (which keypoints the crop shows). The 25% config's
# box labels are dropped, and presence varies only through truncating shifts and erasing
# placed without looking at the keypoints (no half-body crops, erasing anywhere), so the
# weak instances' keypoint places reach the network only through their image-level labels.
_base_ = ['./locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py']

train_pipeline = [
    dict(step, anchor='random') if step['type'] == 'RandomKeypointErasing' else step
    for step in _base_.train_pipeline
    if step['type'] not in ('GenerateRegionPresenceLabels', 'RandomHalfBody')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(head=dict(presence_cfg=dict(region_loss=None)))
