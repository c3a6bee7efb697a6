# Copyright (c) hsjp-mmpose contributors.
"""Each full-size HSJP config trains and validates for one iteration on generated people,
and the fine-tuning config loads the backbone its pretraining run exported; likewise the
full-size LSP Extended configs (HRNet-W32 256x256: HSJP pretraining, fine-tuning from it
and from scratch, location-free 25% image-level) on a hand-made, converted LSP Extended
folder."""
from pathlib import Path
from typing import Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from tests.utils import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NETWORKS = [('hrnet-w32', '8xb64'), ('hrnet-w48', '8xb32'), ('res50', '8xb64')]


def _few_image_options(data_root: Path, work_dir: Path) -> dict:
    """``--cfg-options``-style overrides: two images, batch 2, one epoch of one iteration."""
    options = {'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
               'randomness': dict(seed=0), 'work_dir': str(work_dir)}
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader', 'val'),
                          ('test_dataloader', 'val')):
        options.update({
            f'{loader}.batch_size': 2,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.data_root': f'{data_root}/',
            f'{loader}.dataset.ann_file': f'annotations/person_keypoints_{split}.json',
            f'{loader}.dataset.data_prefix': dict(img=f'images/{split}/'),
            f'{loader}.dataset.indices': 2,
        })
        if loader != 'train_dataloader':
            options[f'{loader}.dataset.bbox_file'] = None
    return options


def _train(config: Path, options: dict) -> Runner:
    register_all_modules()
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(options)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.mark.parametrize('net,gpus_batch', NETWORKS, ids=[n for n, _ in NETWORKS])
def test_pretrain_then_finetune_for_an_iteration(net, gpus_batch, synthetic_coco, tmp_path):
    # 1. HSJP pretraining: trains, reports jigsaw accuracy, exports the backbone.
    pretrain_dir = tmp_path / 'hsjp'
    pretrain = REPO_ROOT / f'configs/hsjp/hsjp_{net}_{gpus_batch}-210e_coco-person-256x192.py'
    runner = _train(pretrain, _few_image_options(synthetic_coco, pretrain_dir))
    metrics = runner.val_loop.run()
    assert set(metrics) == {'jigsaw/patch_accuracy', 'jigsaw/puzzle_accuracy'}
    backbone = pretrain_dir / 'backbone.pth'
    assert backbone.is_file()
    exported = torch.load(backbone, map_location='cpu', weights_only=True)
    exported = exported.get('state_dict', exported)

    # 2. Fine-tuning from it: the backbone weights are the exported ones before training.
    finetune = REPO_ROOT / f'configs/finetune/td-hm_{net}_hsjp-init_{gpus_batch}-210e_coco-256x192.py'
    register_all_modules()
    cfg = Config.fromfile(str(finetune))
    cfg.merge_from_dict(_few_image_options(synthetic_coco, tmp_path / 'finetune'))
    options = {'val_evaluator.ann_file': None, 'test_evaluator.ann_file': None}
    head_init = cfg.model.head.get('init_cfg')
    if head_init and any(c['type'] == 'Pretrained' for c in head_init):
        # the head's deconvolutions transfer too: the whole-network export
        transfer = pretrain_dir / 'transfer.pth'
        index = next(i for i, c in enumerate(head_init) if c['type'] == 'Pretrained')
        options.update({'model.backbone.init_cfg.checkpoint': str(transfer),
                        f'model.head.init_cfg.{index}.checkpoint': str(transfer)})
        whole = torch.load(transfer, map_location='cpu', weights_only=True)['state_dict']
    else:
        options['model.backbone.init_cfg.checkpoint'] = str(backbone)
        whole = None
    cfg.merge_from_dict(options)
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    loaded = runner.model.backbone.state_dict()
    assert set(exported) == set(loaded)
    for key in exported:
        assert torch.equal(exported[key], loaded[key]), key
    if whole is not None:
        head = runner.model.head.state_dict()
        deconv = {k[len('head.'):]: v for k, v in whole.items() if k.startswith('head.')}
        assert deconv and all(torch.equal(v, head[k]) for k, v in deconv.items())
    runner.train()
    assert (tmp_path / 'finetune' / 'epoch_1.pth').is_file()


# ------------------------------------------------------------------ LSP Extended, 256x256
LSP_PRETRAIN = 'configs/hsjp/hsjp_hrnet-w32_8xb64-210e_lsp-person-256x256.py'
LSP_HSJP_INIT = 'configs/finetune/td-hm_hrnet-w32_hsjp-init_8xb64-210e_lsp-256x256.py'
LSP_SCRATCH = 'configs/finetune/td-hm_hrnet-w32_scratch_8xb64-210e_lsp-256x256.py'
LSP_LOCATION_FREE = \
    'configs/location_free/locfree_hrnet-w32_8xb64-210e_lsp-loc25-imagelevel-256x256.py'


@pytest.fixture(scope='module')
def lsp_converted(tmp_path_factory) -> Path:
    """A hand-made LSP Extended folder (4 training people, 2 val, 2 test), converted:
    ``annotations/lspet_{train,val,test}.json`` and ``images/``."""
    from tests.test_datasets.lsp_helpers import converted_lspet_photos, photo_splits
    return converted_lspet_photos(tmp_path_factory.mktemp('lsp_full_size'),
                                  photo_splits(4, 2, 2))


def _lsp_options(data_root: Path, work_dir: Path) -> dict:
    """:func:`_few_image_options` for a converted LSP Extended folder: each loader on its
    own split (the test loader on the test split), the configs' own box settings."""
    options = {'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
               'randomness': dict(seed=0), 'work_dir': str(work_dir)}
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader', 'val'),
                          ('test_dataloader', 'test')):
        options.update({
            f'{loader}.batch_size': 2,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.data_root': f'{data_root}/',
            f'{loader}.dataset.ann_file': f'annotations/lspet_{split}.json',
            f'{loader}.dataset.data_prefix': dict(img='images/'),
            f'{loader}.dataset.indices': 2,
        })
    return options


class _ValMetrics(Hook):
    """The metrics of a run's last validation, as the evaluator gave them."""

    def __init__(self):
        self.metrics = None

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = dict(metrics)


def _lsp_runner(config: str, options: dict) -> Tuple[Runner, _ValMetrics]:
    register_all_modules()
    cfg = Config.fromfile(str(REPO_ROOT / config))
    cfg.merge_from_dict(options)
    runner = Runner.from_cfg(cfg)
    recorder = _ValMetrics()
    runner.register_hook(recorder)
    return runner, recorder


def test_lsp_pretrain_then_finetune_for_an_iteration(lsp_converted, tmp_path):
    # 1. HSJP pretraining on the LSP crops: trains, validates (jigsaw), exports the backbone.
    pretrain_dir = tmp_path / 'hsjp'
    runner, val = _lsp_runner(LSP_PRETRAIN, _lsp_options(lsp_converted, pretrain_dir))
    assert runner.cfg.model.head.out_channels == 16  # the 4x4 grid
    runner.train()
    assert set(val.metrics) == {'jigsaw/patch_accuracy', 'jigsaw/puzzle_accuracy'}
    backbone = pretrain_dir / 'backbone.pth'
    assert backbone.is_file()
    exported = torch.load(backbone, map_location='cpu', weights_only=True)
    exported = exported.get('state_dict', exported)

    # 2. Fine-tuning from it: the backbone is the exported one before training; then one
    # iteration and a validation on PCK@0.2 of the torso.
    options = _lsp_options(lsp_converted, tmp_path / 'finetune')
    options['model.backbone.init_cfg.checkpoint'] = str(backbone)
    runner, val = _lsp_runner(LSP_HSJP_INIT, options)
    runner.model.init_weights()
    loaded = runner.model.backbone.state_dict()
    assert set(exported) == set(loaded)
    for key in exported:
        assert torch.equal(exported[key], loaded[key]), key
    runner.train()
    assert (tmp_path / 'finetune' / 'epoch_1.pth').is_file()
    assert 'tPCK' in val.metrics


def test_lsp_scratch_trains_and_tests_for_an_iteration(lsp_converted, tmp_path):
    runner, val = _lsp_runner(LSP_SCRATCH, _lsp_options(lsp_converted, tmp_path))
    runner.train()
    assert 'tPCK' in val.metrics
    metrics = runner.test()  # the test split, through the config's own test loader
    assert runner.test_dataloader.dataset.ann_file.endswith('lspet_test.json')
    assert 0 <= metrics['tPCK'] <= 1


def test_lsp_location_free_trains_and_validates_for_an_iteration(lsp_converted, tmp_path):
    from hsjp_mmpose.datasets.samplers import labelled_mask
    options = _lsp_options(lsp_converted, tmp_path)
    # training people 1 (image-level labels only) and 4 (location labels at 25%, seed 0):
    # the batch takes both the presence and the heatmap loss
    options['train_dataloader.dataset.indices'] = [0, 3]
    runner, val = _lsp_runner(LSP_LOCATION_FREE, options)
    assert labelled_mask(runner.train_dataloader.dataset).tolist() == [False, True]
    runner.train()
    assert (tmp_path / 'epoch_1.pth').is_file()
    metrics = val.metrics
    assert 'tPCK' in metrics and 'peaks/places' in metrics
    assert any(key.startswith('left_right/') for key in metrics)
