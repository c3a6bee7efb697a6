# Copyright (c) hsjp-mmpose contributors.
"""Each full-size HSJP config trains and validates for one iteration on generated people,
and the fine-tuning config loads the backbone its pretraining run exported."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
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
