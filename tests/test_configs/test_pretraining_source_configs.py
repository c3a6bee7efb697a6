# Copyright (c) hsjp-mmpose contributors.
"""Configs of the other pretraining sources (classic jigsaw classification, 2D keypoints)
and the convergence recorder of the small configs."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.engine.backbone_export import (extract_transfer_state_dict,
                                                save_backbone_checkpoint)
from tests.utils import REPO_ROOT

CONFIGS = REPO_ROOT / 'configs'
JIGSAW_CLS = {
    CONFIGS / 'jigsaw_cls/jigsaw-cls_res18-half_1xb32-30e_synthetic-person-128x96.py':
    CONFIGS / 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py',
    CONFIGS / 'jigsaw_cls/jigsaw-cls_hrnet-w32_8xb64-210e_coco-person-256x192.py':
    CONFIGS / 'hsjp/hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py',
}
KEYPOINT_PRETRAIN = CONFIGS / 'keypoint_pretrain'
JIGSAW_CLS_FINETUNE = CONFIGS / 'finetune/td-hm_res18-half_jigsaw-cls-init_1xb32-30e_synthetic-128x96.py'
HSJP_FINETUNE = CONFIGS / 'finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py'
SMALL_CONFIGS = sorted(
    [*CONFIGS.glob('hsjp/*res18-half*.py'), *CONFIGS.glob('finetune/*res18*.py'),
     *CONFIGS.glob('location_free/*res18-half*.py'), *CONFIGS.glob('jigsaw_cls/*res18-half*.py'),
     *CONFIGS.glob('keypoint_pretrain/*res18-half*.py')])


def _load(path: Path) -> Config:
    register_all_modules()
    return Config.fromfile(str(path))


def _hook(cfg, name):
    hooks = [h for h in cfg.custom_hooks if h['type'] == name]
    assert len(hooks) == 1, f'{name} in {[h["type"] for h in cfg.custom_hooks]}'
    return hooks[0]


@pytest.mark.parametrize('path', sorted(JIGSAW_CLS), ids=lambda p: p.stem)
def test_jigsaw_cls_mirrors_hsjp(path):
    cfg, hsjp = _load(path), _load(JIGSAW_CLS[path])
    head = cfg.model.head
    assert head.type == 'JigsawClassificationHead'
    assert tuple(head.grid) == tuple(cfg.jigsaw_grid) == tuple(hsjp.jigsaw_grid)
    assert head.num_permutations == cfg.num_permutations
    assert cfg.model.test_cfg.flip_test is False
    assert cfg.model.backbone == hsjp.model.backbone
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        hsjp_dataset = hsjp[f'{split}_dataloader'].dataset
        assert {k: v for k, v in dataset.items() if k != 'pipeline'} == \
            {k: v for k, v in hsjp_dataset.items() if k != 'pipeline'}
        # the same steps with the same settings, but a fixed set of permutations and no
        # heatmap targets
        expected = []
        for step in hsjp_dataset.pipeline:
            if step['type'] == 'GenerateTarget':
                continue
            if step['type'] == 'RandomJigsaw':
                step = dict(step, permutations=head.num_permutations,
                            permutation_seed=head.permutation_seed)
            expected.append(dict(step))
        assert [dict(step) for step in dataset.pipeline] == expected
        assert 'jigsaw_permutation_index' in dataset.pipeline[-1]['meta_keys']
    hsjp_jigsaw, = [s for s in hsjp.train_dataloader.dataset.pipeline
                    if s['type'] == 'RandomJigsaw']
    assert hsjp_jigsaw['permutations'] == 'all'
    assert cfg.train_cfg == hsjp.train_cfg and cfg.optim_wrapper == hsjp.optim_wrapper
    assert [e['type'] for e in cfg.val_evaluator] == ['JigsawClassificationAccuracy',
                                                      'JigsawAccuracy']
    assert cfg.default_hooks.checkpoint.save_best == 'jigsaw-cls/top1'
    assert tuple(_hook(cfg, 'ExportBackboneHook')['exclude']) == ('head.', )
    _hook(cfg, 'ConvergenceRecorderHook')
    model = MODELS.build(cfg.model)
    assert model.head.permutation_set.shape == (cfg.num_permutations,
                                                cfg.jigsaw_grid[0] * cfg.jigsaw_grid[1])
    w, h = cfg.input_size
    with torch.no_grad():
        logits = model.head(model.extract_feat(torch.randn(1, 3, h, w)))
    assert logits.shape == (1, cfg.num_permutations)


def test_small_jigsaw_cls_uses_all_24_permutations():
    path = sorted(JIGSAW_CLS)[-1]
    assert 'res18-half' in path.name
    cfg = _load(path)
    assert tuple(cfg.jigsaw_grid) == (2, 2) and cfg.num_permutations == 24


def test_jigsaw_cls_transfer_loads_into_the_backbone_only_finetune_config(tmp_path):
    """transfer.pth of a jigsaw-cls run holds the backbone alone: the backbone-only
    fine-tuning config loads it; the hsjp-init one, which loads the head too, cannot."""
    pretrain = _load(sorted(JIGSAW_CLS)[-1])
    torch.manual_seed(0)
    pretrained = MODELS.build(pretrain.model)
    transfer = extract_transfer_state_dict(pretrained.state_dict(), ('head.', ))
    assert transfer and all(key.startswith('backbone.') for key in transfer)
    checkpoint = save_backbone_checkpoint(transfer, str(tmp_path / 'transfer.pth'))

    cfg = _load(JIGSAW_CLS_FINETUNE)
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint=cfg.jigsaw_cls_checkpoint, prefix='backbone.')
    assert cfg.model.head.get('init_cfg') is None
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    model = MODELS.build(cfg.model)
    model.init_weights()
    for name, tensor in model.backbone.state_dict().items():
        assert torch.equal(tensor, transfer['backbone.' + name]), name
    # the same as the scratch config but for the backbone's init
    scratch = _load(CONFIGS / 'finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py')
    a, b = cfg.to_dict(), scratch.to_dict()
    for d in (a, b):
        d['model']['backbone'].pop('init_cfg')
        d.pop('jigsaw_cls_checkpoint', None)
        d.pop('scratch_init', None)
    assert a == b

    hsjp = _load(HSJP_FINETUNE)
    hsjp.model.backbone.init_cfg.checkpoint = checkpoint
    hsjp.model.head.init_cfg[2].checkpoint = checkpoint
    with pytest.raises(AssertionError, match='head. is not in the pretrained model'):
        MODELS.build(hsjp.model).init_weights()


def test_keypoint_pretrain_on_a_disjoint_source():
    cfg = _load(KEYPOINT_PRETRAIN / 'td-hm_res18-half_1xb32-12e_synthetic-source-128x96.py')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == 'data/synthetic_source/'
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.model.head.type == 'HeatmapHead' and cfg.model.head.out_channels == 17
    export = _hook(cfg, 'ExportBackboneHook')
    assert export.get('transfer_filename', 'transfer.pth') == 'transfer.pth'
    assert 'exclude' not in export  # all but head.final_layer, as HSJP's
    _hook(cfg, 'ConvergenceRecorderHook')
    # the hsjp-init fine-tuning config loads its transfer.pth (same network, 17 keypoints)
    finetune = _load(HSJP_FINETUNE)
    assert finetune.model.backbone == dict(cfg.model.backbone,
                                           init_cfg=finetune.model.backbone.init_cfg)
    assert finetune.model.head.deconv_out_channels == cfg.model.head.deconv_out_channels
    MODELS.build(cfg.model)


def test_mpii_keypoint_pretrain():
    cfg = _load(KEYPOINT_PRETRAIN / 'td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py')
    assert cfg.model.backbone.type == 'HRNet' and cfg.model.head.out_channels == 16
    assert cfg.train_dataloader.dataset.type == 'MpiiDataset'
    assert cfg.custom_imports.imports == ['hsjp_mmpose']
    _hook(cfg, 'ExportBackboneHook')
    _hook(cfg, 'ConvergenceRecorderHook')
    MODELS.build(cfg.model)


@pytest.mark.parametrize('path', SMALL_CONFIGS, ids=lambda p: p.stem)
def test_small_configs_record_convergence(path):
    _hook(_load(path), 'ConvergenceRecorderHook')
