# Copyright (c) hsjp-mmpose contributors.
"""The HSJP pretraining and fine-tuning configs: they parse, build, and compare fairly."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS, MODELS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.datasets.transforms import jigsaw_grid_of_pipeline
from tests.utils import REPO_ROOT

HSJP_CONFIGS = sorted((REPO_ROOT / 'configs/hsjp').glob('*.py'))
FINETUNE_CONFIGS = sorted((REPO_ROOT / 'configs/finetune').glob('*.py'))
INIT_VARIANTS = ('hsjp-init', 'scratch', 'imagenet-init')


def _load(path: Path) -> Config:
    register_all_modules()
    return Config.fromfile(str(path))


def _is_pretrained(init_cfg) -> bool:
    inits = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return any(i is not None and i.get('type') == 'Pretrained' for i in inits)


def _types(pipeline):
    return [step['type'] for step in pipeline]


def test_configs_exist():
    names = {p.name for p in HSJP_CONFIGS}
    assert {'hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py',
            'hsjp_hrnet-w48_8xb32-210e_coco-person-256x192.py',
            'hsjp_res50_8xb64-210e_coco-person-256x192.py'} <= names
    finetune = {p.name for p in FINETUNE_CONFIGS}
    for net, gb in (('hrnet-w32', '8xb64'), ('hrnet-w48', '8xb32'), ('res50', '8xb64')):
        for variant in INIT_VARIANTS:
            assert f'td-hm_{net}_{variant}_{gb}-210e_coco-256x192.py' in finetune


@pytest.mark.parametrize('path', HSJP_CONFIGS, ids=lambda p: p.stem)
def test_pretraining_config(path):
    cfg = _load(path)
    rows, cols = cfg.jigsaw_grid
    assert cfg.model.head.out_channels == rows * cols
    assert cfg.model.head.decoder.type == 'HeatmapJigsaw'
    assert cfg.model.test_cfg.flip_test is False
    assert not _is_pretrained(cfg.model.backbone.get('init_cfg'))  # starts from scratch
    assert 'ExportBackboneHook' in [h['type'] for h in cfg.custom_hooks]
    # the grid is stated once: the metric reads it from the packed samples ...
    assert cfg.val_evaluator == dict(type='JigsawAccuracy')
    assert tuple(cfg.model.head.decoder.grid) == tuple(cfg.jigsaw_grid)
    assert cfg.default_hooks.checkpoint.save_best == 'jigsaw/patch_accuracy'
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        dataset = loader.dataset
        assert dataset.type == 'CocoPersonDataset'
        # ... and the dataset from its pipeline's RandomJigsaw, which has the config's grid
        assert 'jigsaw_grid' not in dataset
        assert jigsaw_grid_of_pipeline(dataset.pipeline) == tuple(cfg.jigsaw_grid)
        types = _types(dataset.pipeline)
        assert types.index('TopdownAffine') < types.index('RandomJigsaw')
        if 'RandomFlip' in types:
            assert types.index('RandomFlip') < types.index('RandomJigsaw')
        assert 'jigsaw_permutation' in dataset.pipeline[-1]['meta_keys']
        assert 'input_center' in dataset.pipeline[-1]['meta_keys']
    assert cfg.val_dataloader.dataset.get('bbox_file') is None
    MODELS.build(cfg.model)


@pytest.mark.parametrize('path', FINETUNE_CONFIGS, ids=lambda p: p.stem)
def test_finetuning_config_builds(path):
    cfg = _load(path)
    assert cfg.model.head.decoder.type == 'MSRAHeatmap'
    dataset_cls = DATASETS.get(cfg.train_dataloader.dataset.type)
    metainfo = parse_pose_metainfo(dataset_cls.METAINFO)
    assert cfg.model.head.out_channels == metainfo['num_keypoints']
    MODELS.build(cfg.model)


def _without_init(cfg: Config) -> dict:
    d = cfg.to_dict()
    d['model']['backbone'].pop('init_cfg', None)
    head_init = d['model']['head'].get('init_cfg')
    if head_init is not None and _is_pretrained(head_init):  # the deconvolutions transfer too
        d['model']['head'].pop('init_cfg')
    for key in ('hsjp_checkpoint', 'scratch_init'):
        d.pop(key, None)
    if d['model']['backbone'].get('base_channels') == 64:  # full-width ImageNet variant
        return None
    return d


@pytest.mark.parametrize('stem', sorted({p.name.replace('_hsjp-init_', '_{}_')
                                         for p in FINETUNE_CONFIGS if '_hsjp-init_' in p.name}))
def test_init_variants_differ_only_in_init(stem):
    configs = {}
    for variant in INIT_VARIANTS:
        matches = [p for p in FINETUNE_CONFIGS if p.name == stem.format(variant)]
        if matches:
            configs[variant] = _load(matches[0])
    assert 'hsjp-init' in configs and 'scratch' in configs
    assert not _is_pretrained(configs['scratch'].model.backbone.get('init_cfg'))
    hsjp = configs['hsjp-init'].model
    hsjp_init = hsjp.backbone.init_cfg
    assert hsjp_init.type == 'Pretrained'
    if hsjp.head.get('deconv_out_channels', (1, )):  # a head with deconvolutions: they
        # transfer too, from the whole-network export (all but head.final_layer)
        assert hsjp_init.checkpoint.endswith('transfer.pth') and hsjp_init.prefix == 'backbone.'
        head_pretrained, = [c for c in hsjp.head.init_cfg if c['type'] == 'Pretrained']
        assert head_pretrained.checkpoint == hsjp_init.checkpoint
        assert head_pretrained.prefix == 'head.'
    else:  # HRNet's head is the final layer alone: the backbone is all that transfers
        assert hsjp_init.checkpoint.endswith('backbone.pth') and 'prefix' not in hsjp_init
    reference = _without_init(configs['scratch'])
    for variant, cfg in configs.items():
        other = _without_init(cfg)
        if other is not None:
            assert other == reference, variant
