# Location-free pose estimation (Xu et al., CVPR 2022): HRNet-W32, COCO 256x192,
# location labels (heatmap loss) for 25% of the person instances, presence labels for all,
# coarse box labels simulated from the truth (region presence) for the other 75%.
# Everything else (schedule, data, augmentation, evaluation) is MMPose's HRNet-W32 recipe;
# the head's training settings, the label steps and the sampler are those of the small
# configs (configs/_base_/location_free.py).
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
          '../_base_/plugin_runtime.py', '../_base_/location_free.py']

codec = _base_.codec  # MSRAHeatmap, 64x48 heatmaps at HRNet's stride-4 branch

# Region presence labels (configs/location_free/README.md, "Region presence"): for each
# person, R = 8 random boxes of the heatmap grid (0.2-0.8 of its width and height) and, per
# keypoint, whether it lies in each box: 8 yes/no answers per keypoint per person on top of
# the image-level presence label. RegionPresenceLoss reads each CAM as a location
# distribution and fits the share of it inside every box to those answers, on the samples
# without location labels (presence_cfg.on_located=False). Weighted 0.1 so that it does not
# outweigh the located samples' heatmap loss and keep the CAMs from fitting the heatmaps
# (the weak-only config, where it is the only location signal, sets 1).
region_presence_step = dict(type='GenerateRegionPresenceLabels', num_regions=8,
                            size_range=(0.2, 0.8))
region_loss = dict(type='RegionPresenceLoss', temperature=10., loss_weight=0.1)

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
        presence_cfg=dict(_base_.location_free_head['presence_cfg'],
                          region_loss=region_loss),
        decoder=codec))

# the base pipeline, with presence labels, the location-label selection and the region
# presence labels before packing
train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'PackPoseInputs'
] + _base_.location_label_steps + [region_presence_step, dict(type='PackPoseInputs')]
train_dataloader = dict(
    sampler=_base_.location_label_sampler, dataset=dict(pipeline=train_pipeline))
