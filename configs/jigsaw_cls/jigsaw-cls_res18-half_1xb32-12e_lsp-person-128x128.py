# Classic jigsaw classification (Noroozi & Favaro, ECCV 2016), the self-supervised baseline
# of HSJP, on the LSP Extended training crops (real photos, labels unused). Data, puzzles
# and schedule are those of configs/hsjp/hsjp_res18-half_1xb32-12e_lsp-person-128x128.py,
# inherited; only the target differs: one class per puzzle (which permutation shuffled it)
# instead of one heatmap per patch. The classifier does not transfer: transfer.pth holds
# the backbone alone; fine-tune with
# configs/finetune/td-hm_res18-half_hsjp-init_1xb32-50e_lsp-128x128.py and
#   --cfg-options model.backbone.init_cfg.checkpoint=<work_dir>/transfer.pth \
#                 model.head.init_cfg=None
_base_ = ['../hsjp/hsjp_res18-half_1xb32-12e_lsp-person-128x128.py']

# a 2x2 grid has 4! = 24 permutations: the maximal-Hamming set of 24 is all of them
num_permutations = 24
permutation_seed = 0

default_hooks = dict(checkpoint=dict(save_best='jigsaw-cls/top1', rule='greater'))
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
        grid=_base_.jigsaw_grid,
        permutation_seed=permutation_seed,
        pooling='cell',  # one average per puzzle cell, in cell order
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
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
val_evaluator = [dict(type='JigsawClassificationAccuracy', topk=(1, 5)),
                 dict(type='JigsawAccuracy')]
test_evaluator = val_evaluator
