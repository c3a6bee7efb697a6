# PackPoseInputs' stock meta keys plus target_img_path: MMPose's MPJPE metric takes the
# action of its per-action results (MPJPE_<action>) from it (configs/pose3d/).
meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale', 'flip',
             'flip_direction', 'flip_indices', 'raw_ann_info', 'dataset_name',
             'target_img_path')
