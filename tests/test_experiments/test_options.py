# Copyright (c) hsjp-mmpose contributors.
"""hsjp_mmpose.experiments.options: every override an experiment builds, applied to the
real configs the way ``--cfg-options`` applies them."""
from pathlib import Path

import pytest
from mmengine.config import Config, DictAction

from hsjp_mmpose.experiments.options import (coco_data_root_options, finetune_options,
                                             init_options, jigsaw_options, pipeline_index,
                                             schedule_options, transform_options)

REPO = Path(__file__).resolve().parents[2]
PRETRAIN = REPO / 'configs/hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'
FINETUNE_HSJP = REPO / 'configs/finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py'
SCRATCH = REPO / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
#: Every config an experiment stretches with schedule_options.
SMALL_CONFIGS = [
    PRETRAIN, SCRATCH, FINETUNE_HSJP,
    REPO / 'configs/jigsaw_cls/jigsaw-cls_res18-half_1xb32-30e_synthetic-person-128x96.py',
    REPO / 'configs/keypoint_pretrain/td-hm_res18-half_1xb32-12e_synthetic-source-128x96.py',
    REPO / 'configs/pose3d/td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py',
    REPO / 'configs/pose3d/td-3d_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
    REPO / 'configs/location_free/locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py',
    REPO / 'configs/location_free/td-hm_res18-half_1xb32-12e_synthetic-128x96.py',
]


def apply(config, options) -> Config:
    """``config`` with ``options`` merged as ``mim train --cfg-options`` merges them."""
    cfg = Config.fromfile(str(config)) if not isinstance(config, Config) else config
    parsed = {}
    for option in options:
        key, value = option.split('=', 1)
        parsed[key] = DictAction._parse_iterable(value)
    cfg.merge_from_dict(parsed)
    return cfg


def test_transforms_are_found_by_type():
    cfg = Config.fromfile(str(PRETRAIN))
    index = pipeline_index(cfg, 'train_dataloader', 'RandomJigsaw')
    assert cfg.train_dataloader.dataset.pipeline[index].type == 'RandomJigsaw'
    options = transform_options(cfg, 'RandomJigsaw', ['train_dataloader', 'val_dataloader'],
                                grid=(3, 2), patch_jitter=4)
    cfg.merge_from_dict({k: eval(v) for k, v in (o.split('=', 1) for o in options)})
    for loader in ('train_dataloader', 'val_dataloader'):
        step = cfg[loader].dataset.pipeline[pipeline_index(cfg, loader, 'RandomJigsaw')]
        assert step.grid == (3, 2) and step.patch_jitter == 4
    with pytest.raises(KeyError, match='has no Nonexistent'):
        pipeline_index(cfg, 'train_dataloader', 'Nonexistent')


def test_transform_options_follow_a_moved_step():
    """An override names the step by type: insert a step before it and the override
    follows."""
    cfg = Config.fromfile(str(PRETRAIN))
    cfg.train_dataloader.dataset.pipeline.insert(0, dict(type='LoadImage'))
    cfg = apply(cfg, transform_options(cfg, 'RandomJigsaw', ['train_dataloader'],
                                       patch_jitter=7))
    steps = [s for s in cfg.train_dataloader.dataset.pipeline if s.type == 'RandomJigsaw']
    assert [s.patch_jitter for s in steps] == [7]


def test_jigsaw_options_match_the_config():
    cfg = apply(PRETRAIN, jigsaw_options(PRETRAIN, (2, 2), 6))
    assert cfg.train_dataloader.dataset.pipeline[5].type == 'RandomJigsaw'
    assert cfg.train_dataloader.dataset.pipeline[5].grid == (2, 2)
    assert cfg.train_dataloader.dataset.pipeline[5].patch_jitter == 6
    assert cfg.train_dataloader.dataset.pipeline[6].encoder.grid == (2, 2)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.pipeline[3].type == 'RandomJigsaw'
        assert loader.dataset.pipeline[3].grid == (2, 2)
        assert loader.dataset.jigsaw_grid == (2, 2)
    assert cfg.model.head.out_channels == 4 and cfg.model.head.decoder.grid == (2, 2)
    assert cfg.val_evaluator.grid == (2, 2)


@pytest.mark.parametrize('transfer', ['whole', 'backbone'])
def test_init_options_load_what_transfer_says(transfer, tmp_path):
    cfg = Config.fromfile(str(FINETUNE_HSJP))
    options = dict(o.split('=', 1) for o in init_options(tmp_path, transfer, FINETUNE_HSJP))
    cfg.merge_from_dict({k: None if v == 'None' else v for k, v in options.items()})
    ckpt = str(tmp_path / 'transfer.pth')
    assert cfg.model.backbone.init_cfg.checkpoint == ckpt
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    if transfer == 'backbone':
        assert cfg.model.head.init_cfg is None
    else:
        pretrained, = [c for c in cfg.model.head.init_cfg if c['type'] == 'Pretrained']
        assert pretrained.checkpoint == ckpt and pretrained.prefix == 'head.'


def test_init_options_name_a_head_without_pretrained_init(tmp_path):
    with pytest.raises(ValueError, match='no Pretrained'):
        init_options(tmp_path, 'whole', SCRATCH)
    with pytest.raises(ValueError, match='transfer'):
        init_options(tmp_path, 'head', FINETUNE_HSJP)


@pytest.mark.parametrize('config', SMALL_CONFIGS, ids=lambda p: p.name)
def test_schedule_options_stretch_the_configs_own_cosine(config):
    """The by-epoch cosine ends at the new last epoch; the iteration warm-up is kept:
    exactly what the experiments' hand-written overrides (``param_scheduler.1.end``,
    ``param_scheduler.1.T_max``) did before."""
    original = Config.fromfile(str(config))
    options = schedule_options(config, 7)
    assert set(options) == {'train_cfg.max_epochs=7', 'param_scheduler.1.end=7',
                            'param_scheduler.1.T_max=7'}
    cfg = apply(config, options)
    assert cfg.train_cfg.max_epochs == 7
    warmup, cosine = cfg.param_scheduler
    assert warmup == original.param_scheduler[0]
    assert cosine.end == 7 and cosine.T_max == 7 and cosine.by_epoch


def test_schedule_options_leave_early_ending_and_refuse_unstretchable(tmp_path):
    cfg = Config.fromfile(str(SCRATCH))
    cfg.param_scheduler = [
        dict(type='LinearLR', begin=0, end=2, start_factor=0.1, by_epoch=True),  # warm-up
        dict(type='CosineAnnealingLR', begin=0, end=30, T_max=30, by_epoch=True)]
    assert schedule_options(cfg, 5, val_interval=5) == [
        'train_cfg.max_epochs=5', 'train_cfg.val_interval=5', 'param_scheduler.1.end=5',
        'param_scheduler.1.T_max=5']
    cfg.param_scheduler = [dict(type='MultiStepLR', milestones=[20, 25], by_epoch=True)]
    with pytest.raises(ValueError, match=r'param_scheduler.0 \(MultiStepLR\).*milestones'):
        schedule_options(cfg, 5)
    with pytest.raises(ValueError, match='epochs'):
        schedule_options(SCRATCH, 0)


def test_finetune_options():
    cfg = apply(SCRATCH, finetune_options(SCRATCH, '/data/people', 9, 40, 3, 5))
    assert cfg.train_dataloader.dataset.indices == 40
    assert cfg.train_cfg.max_epochs == 9 and cfg.train_cfg.val_interval == 3
    assert cfg.param_scheduler[1].end == 9 and cfg.randomness.seed == 5
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == '/data/people/'


def test_coco_data_root_options_with_evaluator_file(tmp_path):
    options = coco_data_root_options(tmp_path, 'annotations/val.json')
    assert f'val_evaluator.ann_file={tmp_path / "annotations/val.json"}' in options
    assert f'train_dataloader.dataset.data_root={tmp_path}/' in options
