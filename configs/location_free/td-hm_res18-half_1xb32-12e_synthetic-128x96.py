# Reference arm of the location-free benchmark: the standard HeatmapHead (three 4x4
# deconvolutions from the stride-32 map) with full location labels, on the same
# backbone, data, schedule and evaluation as the location-free configs.
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
    step for step in _base_.train_pipeline
    if step['type'] not in ('GeneratePresenceLabels', 'SelectLocationLabels',
                             'GenerateRegionPresenceLabels')
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
