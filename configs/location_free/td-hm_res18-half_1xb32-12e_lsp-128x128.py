# Reference arm of the location-free benchmark on LSP Extended: the standard HeatmapHead
# (three 4x4 deconvolutions from the stride-32 map) with every location label, on the same
# backbone, data, pipeline, schedule and evaluation as the location-free configs.
_base_ = ['./locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py']

codec = _base_.codec
model = dict(
    backbone=dict(out_indices=(3, )),
    head=dict(
        _delete_=True,
        type='HeatmapHead',
        in_channels=256,
        out_channels=14,
        deconv_out_channels=(64, 64, 64),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec))

train_pipeline = [
    step for step in _base_.train_pipeline
    if step['type'] not in ('GeneratePresenceLabels', 'SelectLocationLabels')
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
