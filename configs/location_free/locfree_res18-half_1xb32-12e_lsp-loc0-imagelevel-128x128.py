# Location-free pose estimation on LSP Extended with image-level labels only: for every
# person, which of the 14 joints the crop shows; no location label for anyone. The seed's
# claim (Xu et al., CVPR 2022): keypoints located from image-level category labels.
_base_ = ['./locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py']

location_fraction = 0.0
train_pipeline = [
    dict(step, fraction=location_fraction) if step['type'] == 'SelectLocationLabels' else step
    for step in _base_.train_pipeline
]
# one group (nobody located): a plain shuffle
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
# no heatmap loss to calibrate the CAM peaks: score by presence; the presence losses are
# the only ones, at the weight the generated people's weak-only arm used
model = dict(
    head=dict(
        score_mode='presence',
        presence_cfg=dict(loss=dict(loss_weight=0.1), part_loss=dict(loss_weight=0.05))))
