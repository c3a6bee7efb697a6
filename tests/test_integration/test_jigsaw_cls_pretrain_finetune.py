# Copyright (c) hsjp-mmpose contributors.
"""Classic jigsaw classification through `mim train`: pretrain one epoch, record the
convergence file, export the backbone, and fine-tune pose estimation from it."""
import json
import re
from pathlib import Path

import pytest
import torch

from hsjp_mmpose.experiments.convergence import load_convergence
from tests.utils import REPO_ROOT, run_mim

pytestmark = pytest.mark.integration
PRETRAIN = REPO_ROOT / 'configs/jigsaw_cls/jigsaw-cls_res18-half_1xb32-30e_synthetic-person-128x96.py'
FINETUNE = REPO_ROOT / 'configs/finetune/td-hm_res18-half_jigsaw-cls-init_1xb32-30e_synthetic-128x96.py'


@pytest.fixture(scope='module')
def people_60(tmp_path_factory) -> Path:
    """60 training and 12 validation images of generated people (easy level)."""
    from hsjp_mmpose.synthetic import generate_synthetic_coco
    out = tmp_path_factory.mktemp('people_60')
    generate_synthetic_coco(out, num_train=60, num_val=12, seed=3, level='easy', workers=1)
    return out


def _tiny_config(path: Path, base: Path, data_root: Path, lines=()) -> Path:
    """``base`` at 1/4 width, one epoch, batches of 8, data from ``data_root``."""
    path.write_text('\n'.join([
        f'_base_ = [{str(base)!r}]',
        f"data_root = {str(data_root) + '/'!r}",
        'model = dict(backbone=dict(base_channels=8, stem_channels=8))',
        'train_cfg = dict(max_epochs=1, val_interval=1)',
        'default_hooks = dict(logger=dict(interval=1))',
        *lines,
        *[f'{loader} = dict(batch_size=8, num_workers=0, persistent_workers=False, '
          f'dataset=dict(data_root=data_root))'
          for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
    ]) + '\n')
    return path


def test_pretrain_records_exports_backbone_and_finetune_loads_it(people_60, tmp_path):
    pretrain_dir, finetune_dir = tmp_path / 'jigsaw_cls', tmp_path / 'finetune'
    pretrain_cfg = _tiny_config(tmp_path / 'jigsaw_cls_tiny.py', PRETRAIN, people_60, [
        'model.update(head=dict(in_channels=64, hidden_channels=64))'])
    out = run_mim(['train', 'mmpose', pretrain_cfg, '--work-dir', pretrain_dir],
                  timeout=600).stdout
    assert re.search(r'jigsaw-cls/top1: \d', out), out[-3000:]
    assert 'acc_permutation' in out

    records = load_convergence(pretrain_dir)
    assert [r['epoch'] for r in records] == [1]
    metrics = records[0]['metrics']
    assert {'jigsaw-cls/top1', 'jigsaw-cls/top5', 'jigsaw/patch_accuracy'} <= set(metrics)
    assert 0 <= metrics['jigsaw-cls/top1'] <= metrics['jigsaw-cls/top5'] <= 1
    assert records[0]['iter'] == 8 and records[0]['elapsed_s'] > 0  # ceil(60 / 8)

    backbone, transfer = pretrain_dir / 'backbone.pth', pretrain_dir / 'transfer.pth'
    assert backbone.is_file() and (pretrain_dir / 'backbone_best.pth').is_file()
    whole = torch.load(transfer, map_location='cpu', weights_only=True)['state_dict']
    assert len(whole) == 120 and all(key.startswith('backbone.') for key in whole)
    assert 'load it with a Pretrained init on the backbone alone' in out

    finetune_cfg = _tiny_config(tmp_path / 'finetune_tiny.py', FINETUNE, people_60, [
        'model.update(head=dict(in_channels=64, deconv_out_channels=(16, 16, 16)))'])
    out = run_mim(['train', 'mmpose', finetune_cfg, '--work-dir', finetune_dir,
                   '--cfg-options', f'model.backbone.init_cfg.checkpoint={transfer}'],
                  timeout=600).stdout
    assert (f"PretrainedInitCheckHook: model.backbone (ResNet): 120/120 tensors loaded "
            f"from {transfer} (prefix 'backbone.')") in out, out[-3000:]
    assert 'model.head (HeatmapHead)' not in out  # the head starts from its own init
    assert 'coco/AP' in load_convergence(finetune_dir)[0]['metrics']
    assert json.loads((finetune_dir / 'convergence.json').read_text())[0]['epoch'] == 1


KEYPOINT_PRETRAIN = (REPO_ROOT / 'configs/keypoint_pretrain/'
                     'td-hm_res18-half_1xb32-12e_synthetic-source-128x96.py')
HSJP_FINETUNE = REPO_ROOT / 'configs/finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py'


def test_keypoint_source_transfers_through_the_hsjp_init_config(people_60, tmp_path):
    """A labelled source run exports transfer.pth as HSJP does; the hsjp-init config loads
    its backbone and deconvolutions when pointed at it."""
    source_dir = tmp_path / 'source'
    head = 'model.update(head=dict(in_channels=64, deconv_out_channels=(16, 16, 16)))'
    source_cfg = _tiny_config(tmp_path / 'source_tiny.py', KEYPOINT_PRETRAIN, people_60, [head])
    run_mim(['train', 'mmpose', source_cfg, '--work-dir', source_dir], timeout=600)
    assert 'coco/AP' in load_convergence(source_dir)[0]['metrics']
    transfer = source_dir / 'transfer.pth'
    finetune_cfg = _tiny_config(tmp_path / 'finetune_tiny.py', HSJP_FINETUNE, people_60, [head])
    out = run_mim(['train', 'mmpose', finetune_cfg, '--work-dir', tmp_path / 'finetune',
                   '--cfg-options', f'model.backbone.init_cfg.checkpoint={transfer}',
                   f'model.head.init_cfg.2.checkpoint={transfer}'], timeout=600).stdout
    assert (f"model.backbone (ResNet): 120/120 tensors loaded from {transfer} "
            f"(prefix 'backbone.')") in out, out[-3000:]
    assert (f"model.head (HeatmapHead): 18/20 tensors loaded from {transfer} "
            f"(prefix 'head.')") in out, out[-3000:]
