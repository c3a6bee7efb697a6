# Baseline arm of the location-free benchmark: the standard HeatmapHead trained on the
# located 25% alone, at the 25% arm's iterations and batch composition. The pipeline and
# sampler are the 25% config's (without its region presence labels): SelectLocationLabels
# zeroes the keypoint weights of the weak-only instances, so the quarter of every batch
# drawn from them adds no loss, and three quarters come from the located instances
# (LocationLabelBalancedSampler).
_base_ = ['./locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py']

codec = _base_.codec
model = dict(
    backbone=dict(out_indices=(3, )),
    head=dict(
        _delete_=True,
        type='HeatmapHead',
        in_channels=256,
        out_channels=17,
        deconv_out_channels=(64, 64, 64),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec))

train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'GenerateRegionPresenceLabels'
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
