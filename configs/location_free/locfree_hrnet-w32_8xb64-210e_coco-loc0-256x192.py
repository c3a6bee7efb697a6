# Location-free pose estimation, HRNet-W32, COCO 256x192, no heatmap labels: presence labels
# and coarse box labels simulated from the truth (region presence, inherited from the 25%
# config: location labels, however coarse, not image-level ones).
_base_ = ['./locfree_hrnet-w32_8xb64-210e_coco-loc25-256x192.py']

location_fraction = 0.0
# the 25% config's pipeline with its SelectLocationLabels (found by type) at this fraction
train_pipeline = [
    dict(step, fraction=location_fraction) if step['type'] == 'SelectLocationLabels' else step
    for step in _base_.train_pipeline
]
# one group only (every instance labelled, or none): a plain shuffle
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
# without a heatmap loss the CAM peak values are not calibrated: score by presence. The
# weak losses are the only ones here: the presence BCE keeps the weight it was measured with
# (0.1), the part maps' BCE half of it, and the region presence loss (the 25% config's labels
# and loss) weight 1, the only location signal (configs/location_free/README.md).
model = dict(
    head=dict(
        score_mode='presence',
        presence_cfg=dict(
            loss=dict(loss_weight=0.1), part_loss=dict(loss_weight=0.05),
            region_loss=dict(type='RegionPresenceLoss', temperature=10., loss_weight=1.))))
