# Classic jigsaw classification (Noroozi & Favaro, ECCV 2016), the self-supervised baseline
# of HSJP, with HRNet-W32 on the person boxes of COCO train2017 (keypoints unused). Data,
# puzzles (256x192 crops in 4x3 cells of 64x64 pixels, patch jitter 0.125, colour jitter
# and grey), schedule and model are those of
# configs/hsjp/hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py, inherited; only the target
# differs: one class per puzzle instead of one heatmap per patch. The head does not
# transfer: transfer.pth and backbone.pth hold the backbone alone, for the fine-tuning
# configs that load a backbone (e.g. configs/finetune/td-hm_hrnet-w32_hsjp-init_*, whose
# backbone is all that transfers, with its checkpoint pointed at this run's backbone.pth).
_base_ = ['../hsjp/hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py']

# 4x3 cells have 12! (479 million) permutations; classification needs a fixed set. N = 1000
# is the size Noroozi & Favaro chose for their results (maximal minimum Hamming distance,
# greedily chosen; in their study fewer or closer permutations made the pretext task
# easier and the features transfer worse). Every puzzle is drawn from these 1000, where
# HSJP draws from all 12!. (Set num_permutations=100 for the smaller classic variant.)
num_permutations = 1000
permutation_seed = 0
jigsaw = dict(_base_.jigsaw, permutations=num_permutations, permutation_seed=permutation_seed)

default_hooks = dict(checkpoint=dict(save_best='jigsaw-cls/top1', rule='greater'))
# HSJP's hooks (with JigsawVisualizationHook), but the classifier does not transfer:
# transfer.pth (and backbone.pth, backbone_best.pth) hold the backbone alone.
custom_hooks = [
    dict(hook, exclude=('head.', )) if hook['type'] == 'ExportBackboneHook' else hook
    for hook in _base_.custom_hooks
] + [dict(type='ConvergenceRecorderHook')]

model = dict(
    head=dict(
        _delete_=True,
        type='JigsawClassificationHead',
        in_channels=32,  # HRNet-W32's highest-resolution branch (stride 4: 64x48)
        num_permutations=num_permutations,
        grid=_base_.jigsaw_grid,  # the puzzle's, stated in the HSJP config
        permutation_seed=permutation_seed,
        # one average per puzzle cell (12 x 32 features): a global average of 32 channels
        # would leave the classifier too little to tell 1000 classes apart
        pooling='cell',
        hidden_channels=1024,
        dropout=0.5,  # as in Noroozi & Favaro's fully connected layers
        loss=dict(type='CrossEntropyLoss')),
    test_cfg=dict(flip_test=False))  # a flipped puzzle is another puzzle

# HSJP's pipelines with the fixed permutation set and without heatmap targets
train_pipeline = [
    dict(step, permutations=num_permutations, permutation_seed=permutation_seed)
    if step['type'] == 'RandomJigsaw' else step
    for step in _base_.train_pipeline if step['type'] != 'GenerateTarget'
]
val_pipeline = [
    dict(step, permutations=num_permutations, permutation_seed=permutation_seed)
    if step['type'] == 'RandomJigsaw' else step
    for step in _base_.val_pipeline if step['type'] != 'GenerateTarget'
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
# top-1/top-5 of the classifier, and the patch accuracy of its predicted permutation
# (comparable with HSJP's jigsaw/patch_accuracy)
val_evaluator = [dict(type='JigsawClassificationAccuracy', topk=(1, 5)),
                 dict(type='JigsawAccuracy')]
test_evaluator = val_evaluator
