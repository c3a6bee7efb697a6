# Location-free pose estimation (Xu et al., CVPR 2022): HRNet-W32 on LSP Extended at
# 256x256; location labels (heatmap loss) for 25% of the people, image-level labels (which
# joints the crop shows) for the other 75%. Schedule, data and evaluation are those of
# configs/finetune/td-hm_hrnet-w32_scratch_8xb64-210e_lsp-256x256.py; the head's settings,
# label steps and sampler those of the small configs (configs/_base_/location_free.py), with
# the small LSP configs' location-agnostic augmentation (no half-body crops, erasing anywhere).
_base_ = ['../finetune/td-hm_hrnet-w32_scratch_8xb64-210e_lsp-256x256.py',
          '../_base_/location_free.py']

codec = _base_.codec
model = dict(
    # all four HRNet branches (32, 64, 128, 256 channels at strides 4, 8, 16, 32)
    backbone=dict(extra=dict(stage4=dict(multiscale_output=True))),
    head=dict(
        _base_.location_free_head,
        _delete_=True,
        num_keypoints=14,
        in_channels=(32, 64, 128, 256),
        embed_dims=256,
        context_encoder=dict(
            type='SpatialGuidedContextEncoder', num_layers=2, num_heads=8,
            token_stride=2),
        prototype_generator=dict(
            type='RelationPrototypeGenerator', num_layers=3, num_heads=8,
            memory_stride=2),
        decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0.5, shift_factor=0.25,
         scale_factor=(0.75, 1.25), rotate_factor=40),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomKeypointErasing', prob=0.7, max_regions=3, size_range=(0.15, 0.4),
         anchor='random'),
    dict(type='GenerateTarget', encoder=codec),
    *_base_.location_label_steps,
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    sampler=_base_.location_label_sampler, dataset=dict(pipeline=train_pipeline))
val_evaluator = [dict(type='TorsoPCKAccuracy', thr=0.2), dict(type='CocoMetric'),
                 dict(type='LeftRightAccuracy'), dict(type='PeakPlaces')]
test_evaluator = val_evaluator
