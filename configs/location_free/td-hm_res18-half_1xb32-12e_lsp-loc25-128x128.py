# Baseline of the 25% arm on LSP Extended: HeatmapHead on the located quarter alone, at the
# 25% arm's iterations and batches (its sampler, and SelectLocationLabels zeroing the
# keypoint weights of the other 75%, whose image-level labels HeatmapHead cannot use).
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
