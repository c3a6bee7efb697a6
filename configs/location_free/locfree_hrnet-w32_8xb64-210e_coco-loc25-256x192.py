# Location-free pose estimation (Xu et al., CVPR 2022): HRNet-W32, COCO 256x192,
# location labels (heatmap loss) for 25% of the person instances, presence labels for all.
# Everything else (schedule, data, augmentation, evaluation) is MMPose's HRNet-W32 recipe;
# the head's training settings, the label steps and the sampler are those of the small
# configs (configs/_base_/location_free.py).
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
          '../_base_/plugin_runtime.py', '../_base_/location_free.py']

codec = _base_.codec  # MSRAHeatmap, 64x48 heatmaps at HRNet's stride-4 branch
model = dict(
    # all four HRNet branches (32, 64, 128, 256 channels at strides 4, 8, 16, 32)
    backbone=dict(extra=dict(stage4=dict(multiscale_output=True))),
    head=dict(
        _base_.location_free_head,
        _delete_=True,
        in_channels=(32, 64, 128, 256),
        embed_dims=256,
        context_encoder=dict(
            type='SpatialGuidedContextEncoder', num_layers=2, num_heads=8,
            token_stride=2),
        prototype_generator=dict(
            type='RelationPrototypeGenerator', num_layers=3, num_heads=8,
            memory_stride=2),
        decoder=codec))

# the base pipeline, with presence labels and the location-label selection before packing
train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'PackPoseInputs'
] + _base_.location_label_steps + [dict(type='PackPoseInputs')]
train_dataloader = dict(
    sampler=_base_.location_label_sampler, dataset=dict(pipeline=train_pipeline))
