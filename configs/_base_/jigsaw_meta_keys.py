# PackPoseInputs' stock meta keys plus what the jigsaw metrics, heads and hooks read
# (jigsaw_permutation_index: the class label of jigsaw classification, configs/jigsaw_cls/).
jigsaw_meta_keys = ('id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape',
                    'img_shape', 'input_size', 'input_center', 'input_scale', 'flip',
                    'flip_direction', 'flip_indices', 'raw_ann_info', 'dataset_name',
                    'jigsaw_permutation', 'jigsaw_permutation_index', 'jigsaw_grid')
