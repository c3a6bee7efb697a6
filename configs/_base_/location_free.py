# Location-free pose estimation (configs/location_free/): what the COCO and the generated-
# people configs share. A config adds its network's part of the head (in_channels,
# embed_dims, context encoder, prototype generator, decoder) and its pipeline.

# fraction of instances with location labels; seed of their (deterministic) selection
location_fraction = 0.25
location_seed = 0

# The head's training and scoring, the same at every size:
location_free_head = dict(
    type='LocationFreeHead',
    num_keypoints=17,
    cam_pooling=dict(type='CAMPooling', mode='topk', topk_ratio=0.02),
    presence_cfg=dict(
        # BCE on logits (use_sigmoid=False). Weighted low against the heatmap loss: its
        # gradient concentrates on the top-k CAM locations and blurs the peaks (the weak-only
        # configs, without a heatmap loss, set 0.1; configs/location_free/README.md).
        loss=dict(type='BCELoss', loss_weight=0.01),
        # the same BCE on the context encoder's part maps, at half the weight
        part_loss=dict(type='BCELoss', loss_weight=0.005),
        # presence losses on the samples without location labels only: on located ones
        # the BCE on top-k pooled CAMs pulls against the heatmap loss and blurs the peaks
        # (configs/location_free/README.md)
        on_located=False),
    loss_heatmap=dict(type='KeypointMSELoss', use_target_weight=True, loss_weight=10.),
    score_mode='product')

# The training pipeline's label steps, after GenerateTarget and before PackPoseInputs:
# presence labels for every instance, location labels for a fraction of them.
location_label_steps = [
    dict(type='GeneratePresenceLabels'),
    dict(type='SelectLocationLabels', fraction=location_fraction, seed=location_seed),
]
# Three quarters of every batch are drawn from the instances with location labels (they
# repeat within an epoch), the rest from the weak-only ones: with a plain shuffle only a
# quarter of each batch would take the heatmap loss (configs/location_free/README.md).
location_label_sampler = dict(
    type='LocationLabelBalancedSampler', labelled_share=0.75, shuffle=True)
