# Classic jigsaw classification (Noroozi & Favaro, ECCV 2016), the self-supervised baseline
# of HSJP, on the generated people (labels unused). Data, puzzles and schedule are those of
# configs/hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py, inherited: 128x96
# crops cut into 2x2 cells, patches jittered by 4 pixels, per-patch colour jitter and grey.
# Only the target differs: one class per puzzle (which permutation of the set shuffled it)
# instead of one heatmap per patch. The head (pooled last feature + MLP) does not transfer:
# ExportBackboneHook's transfer.pth holds the backbone alone, and
# configs/finetune/td-hm_res18-half_jigsaw-cls-init_1xb32-30e_synthetic-128x96.py loads it.
_base_ = ['../hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py']

# A 2x2 grid has only 4! = 24 permutations: the classic maximal-Hamming set of N = 24 is
# all of them, so the shuffled inputs are drawn exactly as HSJP's permutations='all' draws
# them (uniform over the 24), and the task is a 24-way classification (chance 1/24).
# (For a 3x3 grid Noroozi & Favaro choose N = 100 to 1000 of the 9! permutations.)
num_permutations = 24
permutation_seed = 0
jigsaw = dict(_base_.jigsaw, permutations=num_permutations, permutation_seed=permutation_seed)

default_hooks = dict(checkpoint=dict(save_best='jigsaw-cls/top1', rule='greater'))
# HSJP's hooks (with JigsawVisualizationHook), but the classifier does not transfer:
# transfer.pth (and backbone.pth, backbone_best.pth) hold the backbone alone.
custom_hooks = [
    dict(hook, exclude=('head.', )) if hook['type'] == 'ExportBackboneHook' else hook
    for hook in _base_.custom_hooks
]

model = dict(
    head=dict(
        _delete_=True,
        type='JigsawClassificationHead',
        in_channels=256,  # 8 x base_channels
        num_permutations=num_permutations,
        grid=_base_.jigsaw_grid,  # the puzzle's, stated in the HSJP config
        permutation_seed=permutation_seed,
        # One average per puzzle cell (2x2 x 256 features, in cell order, as Noroozi &
        # Favaro concatenate tile features in order): it learns far faster than a global
        # average of the map (configs/jigsaw_cls/README.md).
        pooling='cell',
        hidden_channels=256,
        dropout=0.,
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
