# Location-free pose estimation (Xu et al., CVPR 2022) on generated people, small enough
# for a CPU: ResNet-18 at half width, all four stages fused into 32x24 CAMs.
# 25% of the instances keep location labels (heatmap loss); all have presence labels.
# Data: `python tools/make_synthetic_coco.py --out data/synthetic_people --num-train 1000
# --num-val 200` (or override the dataloaders' data_root). Data, pipeline and evaluation
# are those of the other small configs (configs/_base_/td-hm_res18-half_...).
_base_ = ['../_base_/td-hm_res18-half_1xb32_synthetic-128x96.py']

# fraction of instances with location labels; seed of their (deterministic) selection
location_fraction = 0.25
location_seed = 0

# runtime
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))

codec = _base_.codec  # CAMs and heatmap targets at the finest backbone scale (stride 4)
model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    head=dict(
        _delete_=True,
        type='LocationFreeHead',
        in_channels=(32, 64, 128, 256),
        num_keypoints=17,
        embed_dims=64,
        context_encoder=dict(
            type='SpatialGuidedContextEncoder', num_layers=1, num_heads=4,
            token_stride=2),
        prototype_generator=dict(
            type='RelationPrototypeGenerator', num_layers=2, num_heads=4,
            memory_stride=2),
        pooling='topk',
        topk_ratio=0.02,
        # BCE on logits (use_sigmoid=False). Weighted low against the heatmap loss: its
        # gradient is concentrated on the top-k CAM locations; at 0.1 it still blurred the
        # peaks of the 25% arm (16.7 AP against 31.9 at 0.01, generated people; the
        # weak-only config, where it is the only loss, sets 0.1 again).
        loss_presence=dict(type='BCELoss', loss_weight=0.01),
        loss_heatmap=dict(type='KeypointMSELoss', use_target_weight=True, loss_weight=10.),
        # presence losses on the samples without location labels only: on located ones
        # the BCE on top-k pooled CAMs pulls against the heatmap loss and blurs the peaks
        # (100% labels, generated people: 21.1 AP with it, 34.3 without)
        presence_on_located=False,
        score_mode='product',
        decoder=codec))

# Presence labels only teach *where* a keypoint is when presence varies. On whole-person
# crops nearly every keypoint is present in every sample, so the pipeline takes parts out of
# view before the labels are computed: half-body crops, truncating box shifts, and erased
# regions centred near random keypoints. Presence (GeneratePresenceLabels) and heatmap
# weights (GenerateTarget) come after them; location labels for a fraction of instances.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody', prob=0.3, min_total_keypoints=8, min_upper_keypoints=2,
         min_lower_keypoints=3),
    dict(type='RandomBBoxTransform', shift_prob=0.5, shift_factor=0.25,
         scale_factor=(0.75, 1.25), rotate_factor=30),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomKeypointErasing', prob=0.7, max_regions=3, size_range=(0.15, 0.4)),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='GeneratePresenceLabels'),
    dict(type='SelectLocationLabels', fraction=location_fraction, seed=location_seed),
    dict(type='PackPoseInputs'),
]
# Three quarters of every batch are drawn from the instances with location labels (they
# repeat within an epoch), the rest from the weak-only ones: with a plain shuffle only a
# quarter of each batch would take the heatmap loss (generated people, 25% labels: 5.4 AP
# with a plain shuffle, 24.8 at a share of 0.5, 31.9 at 0.75; configs/location_free/README.md).
train_dataloader = dict(
    sampler=dict(type='LocationLabelBalancedSampler', labelled_share=0.75, shuffle=True),
    dataset=dict(pipeline=train_pipeline))
