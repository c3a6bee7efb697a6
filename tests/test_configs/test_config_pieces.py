# Copyright (c) hsjp-mmpose contributors.
"""What the configs share through configs/_base_/ pieces: the plugin's runtime and hook
lists, and a jigsaw grid stated once per config."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmpose.registry import DATASETS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.datasets.transforms import jigsaw_grid_of_pipeline
from tests.utils import REPO_ROOT

CONFIGS = REPO_ROOT / 'configs'
ALL_CONFIGS = sorted(p for p in CONFIGS.rglob('*.py') if '_base_' not in p.parts)
PLUGIN = Config.fromfile(str(CONFIGS / '_base_/plugin_runtime.py'))


def _load(path: Path) -> Config:
    return Config.fromfile(str(path))


def _loaders(cfg):
    return [cfg[name] for name in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def _evaluators(cfg):
    for name in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg[name]
        yield from (evaluator if isinstance(evaluator, list) else [evaluator])


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=lambda p: f'{p.parent.name}/{p.stem}')
def test_every_config_imports_the_plugin_and_guards_its_run(path):
    cfg = _load(path)
    assert cfg.custom_imports == PLUGIN.custom_imports
    hooks = [h['type'] for h in cfg.custom_hooks]
    if path.parent.name == 'location_free' and 'hrnet' in path.name:
        return  # MMPose's hooks alone (SyncBuffersHook): no init check, no NaN guard
    assert hooks[0] == 'SyncBuffersHook' and 'NaNLossGuardHook' in hooks, hooks
    exports = 'ExportBackboneHook' in hooks
    # a pretraining run exports its weights; a run from init_cfgs checks what they loaded
    assert exports != ('PretrainedInitCheckHook' in hooks), hooks


@pytest.mark.parametrize('path', [p for p in ALL_CONFIGS if p.parent.name == 'finetune'
                                  and 'coco-256x192' in p.name], ids=lambda p: p.stem)
def test_full_size_finetune_configs_use_the_plugin_hooks(path):
    assert _load(path).custom_hooks == PLUGIN.train_hooks


def _jigsaw_configs():
    return [p for p in ALL_CONFIGS
            if any(jigsaw_grid_of_pipeline(loader.dataset.pipeline)
                   for loader in _loaders(_load(p)))]


@pytest.mark.parametrize('path', _jigsaw_configs(), ids=lambda p: p.stem)
def test_jigsaw_grid_is_stated_once(path):
    """The config's RandomJigsaw steps carry its grid; the datasets, metrics and the
    visualisation hook declare none of their own (they derive it)."""
    cfg = _load(path)
    grid = tuple(cfg.jigsaw_grid)
    for loader in _loaders(cfg):
        assert 'jigsaw_grid' not in loader.dataset
        assert jigsaw_grid_of_pipeline(loader.dataset.pipeline) == grid
    assert all('grid' not in evaluator for evaluator in _evaluators(cfg))
    assert all('grid' not in hook for hook in cfg.custom_hooks)
    head = cfg.model.head
    assert tuple(head.get('decoder', head).get('grid')) == grid


def test_dataset_of_a_config_takes_the_grid_of_its_pipeline(real_coco_dir):
    register_all_modules()
    cfg = _load(CONFIGS / 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py')
    dataset_cfg = dict(cfg.train_dataloader.dataset, data_root=str(real_coco_dir),
                       ann_file='test_coco.json', data_prefix=dict(img=''))
    dataset = DATASETS.build(dataset_cfg)
    assert dataset.jigsaw_grid == tuple(cfg.jigsaw_grid) == (2, 2)
    assert dataset.metainfo['num_keypoints'] == 4
    assert dataset.metainfo['dataset_name'] == 'jigsaw_2x2'
