# Copyright (c) hsjp-mmpose contributors.
"""HSJP end to end through `mim train`: pretrain on puzzles, export the backbone, fine-tune
pose estimation from it, and check that the fine-tuning run really loaded the weights."""
import re
from pathlib import Path

import pytest
import torch

from tests.utils import REPO_ROOT, run_mim

pytestmark = pytest.mark.integration
PRETRAIN = REPO_ROOT / 'configs/hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'
FINETUNE = REPO_ROOT / 'configs/finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py'


def _tiny_config(path: Path, base: Path, data_root: Path, custom_hooks: str) -> Path:
    """``base`` at 1/4 width, one epoch, batches of 8, data from ``data_root``."""
    path.write_text('\n'.join([
        f'_base_ = [{str(base)!r}]',
        f"data_root = {str(data_root) + '/'!r}",
        'model = dict(',
        '    backbone=dict(base_channels=8, stem_channels=8),',
        '    head=dict(in_channels=64, deconv_out_channels=(16, 16, 16)))',
        'train_cfg = dict(max_epochs=1, val_interval=1)',
        'default_hooks = dict(logger=dict(interval=1))',
        f'custom_hooks = {custom_hooks}',
        *[f'{loader} = dict(batch_size=8, num_workers=0, persistent_workers=False, '
          f'dataset=dict(data_root=data_root))'
          for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
    ]) + '\n')
    return path


def test_pretrain_export_then_finetune_loads_backbone(synthetic_coco, tmp_path):
    pretrain_dir, finetune_dir = tmp_path / 'hsjp', tmp_path / 'finetune'
    pretrain_cfg = _tiny_config(
        tmp_path / 'hsjp_tiny.py', PRETRAIN, synthetic_coco,
        "[dict(type='ExportBackboneHook'), "
        "dict(type='JigsawVisualizationHook', interval=1, max_samples=2)]")
    out = run_mim(['train', 'mmpose', pretrain_cfg, '--work-dir', pretrain_dir],
                  timeout=300).stdout
    assert re.search(r'jigsaw/patch_accuracy: \d', out), out[-3000:]
    backbone = pretrain_dir / 'backbone.pth'
    assert f'Exported the backbone of the final model (120 tensors) to {backbone}' in out
    assert (pretrain_dir / 'backbone_best.pth').is_file()
    exported = torch.load(backbone, map_location='cpu', weights_only=True)['state_dict']
    assert exported['conv1.weight'].shape == (8, 3, 7, 7)
    panels = list(pretrain_dir.glob('*/vis_data/vis_image/val_jigsaw_*.png'))
    assert panels, 'JigsawVisualizationHook wrote no image'

    transfer = pretrain_dir / 'transfer.pth'
    whole = torch.load(transfer, map_location='cpu', weights_only=True)['state_dict']
    assert 'backbone.conv1.weight' in whole and 'head.deconv_layers.0.weight' in whole
    assert not any(k.startswith('head.final_layer') for k in whole)

    finetune_cfg = _tiny_config(tmp_path / 'finetune_tiny.py', FINETUNE, synthetic_coco,
                                "[dict(type='PretrainedInitCheckHook')]")
    # the default: the whole network but the head's final layer
    out = run_mim(['train', 'mmpose', finetune_cfg, '--work-dir', finetune_dir,
                   '--cfg-options', f'model.backbone.init_cfg.checkpoint={transfer}',
                   f'model.head.init_cfg.2.checkpoint={transfer}'], timeout=300).stdout
    assert (f"PretrainedInitCheckHook: model.backbone (ResNet): 120/120 tensors loaded "
            f"from {transfer} (prefix 'backbone.')") in out, out[-3000:]
    assert (f"model.head (HeatmapHead): 18/20 tensors loaded from {transfer} "
            f"(prefix 'head.')") in out, out[-3000:]
    assert re.search(r'coco/AP: \d\.\d+', out), out[-3000:]
    # the switch: the backbone alone (here from backbone.pth, which has no prefix)
    out = run_mim(['train', 'mmpose', finetune_cfg, '--work-dir', tmp_path / 'backbone_only',
                   '--cfg-options', f'model.backbone.init_cfg.checkpoint={backbone}',
                   'model.backbone.init_cfg.prefix=None', 'model.head.init_cfg=None'],
                  timeout=300).stdout
    assert (f'PretrainedInitCheckHook: model.backbone (ResNet): 120/120 tensors loaded '
            f'from {backbone}') in out, out[-3000:]
    assert 'model.head (HeatmapHead)' not in out
