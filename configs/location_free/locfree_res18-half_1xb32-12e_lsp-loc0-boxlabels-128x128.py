# Location-free head on LSP Extended with coarse box labels, simulated from the truth, and
# no heatmap: for each person R = 8 random boxes of the heatmap grid and, per joint, whether
# it lies in each (GenerateRegionPresenceLabels: 112 yes/no answers per person computed from
# the true keypoints). These are location labels, however coarse, not image-level ones:
# the benchmark's image-level arm is locfree_res18-half_1xb32-12e_lsp-loc0-imagelevel-128x128.py.
_base_ = ['./locfree_res18-half_1xb32-12e_lsp-loc0-imagelevel-128x128.py']

region_presence_step = dict(type='GenerateRegionPresenceLabels', num_regions=8,
                            size_range=(0.2, 0.8))
train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'PackPoseInputs'
] + [region_presence_step, dict(type='PackPoseInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# the box labels are the only location signal: their loss at weight 1
model = dict(
    head=dict(
        presence_cfg=dict(
            region_loss=dict(type='RegionPresenceLoss', temperature=10., loss_weight=1.))))
