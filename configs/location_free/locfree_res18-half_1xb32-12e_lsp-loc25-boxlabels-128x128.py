# Location-free head on LSP Extended: 25% of the people with location labels, the other
# 75% with coarse box labels simulated from the truth (R = 8 random boxes per person and
# whether each joint lies in each: location labels, however coarse) beside their
# image-level labels. The image-level 25% arm:
# locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py.
_base_ = ['./locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py']

region_presence_step = dict(type='GenerateRegionPresenceLabels', num_regions=8,
                            size_range=(0.2, 0.8))
train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'PackPoseInputs'
] + [region_presence_step, dict(type='PackPoseInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# low beside the located people's heatmap loss (configs/location_free/README.md)
model = dict(
    head=dict(
        presence_cfg=dict(
            region_loss=dict(type='RegionPresenceLoss', temperature=10., loss_weight=0.1))))
