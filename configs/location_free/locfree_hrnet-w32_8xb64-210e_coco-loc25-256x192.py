# Location-free pose estimation (Xu et al., CVPR 2022): HRNet-W32, COCO 256x192,
# location labels (heatmap loss) for 25% of the person instances, presence labels for all.
# Everything else (schedule, data, augmentation, evaluation) is MMPose's HRNet-W32 recipe.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py']

custom_imports = dict(imports=['hsjp_mmpose'], allow_failed_imports=False)

# fraction of instances with location labels; seed of their (deterministic) selection
location_fraction = 0.25
location_seed = 0

codec = _base_.codec  # MSRAHeatmap, 64x48 heatmaps at HRNet's stride-4 branch
model = dict(
    # all four HRNet branches (32, 64, 128, 256 channels at strides 4, 8, 16, 32)
    backbone=dict(extra=dict(stage4=dict(multiscale_output=True))),
    head=dict(
        _delete_=True,
        type='LocationFreeHead',
        in_channels=(32, 64, 128, 256),
        num_keypoints=17,
        embed_dims=256,
        context_encoder=dict(
            type='SpatialGuidedContextEncoder', num_layers=2, num_heads=8,
            token_stride=2),
        prototype_generator=dict(
            type='RelationPrototypeGenerator', num_layers=3, num_heads=8,
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

# the base pipeline, with presence labels and the location-label selection before packing
train_pipeline = _base_.train_pipeline
assert train_pipeline[-1]['type'] == 'PackPoseInputs'
train_pipeline = train_pipeline[:-1] + [
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
