# Copyright (c) hsjp-mmpose contributors.
"""The README's full-size chain on real COCO files, through ``mim train`` / ``mim test``.

MMPose's four test images of COCO val2017 (``shared/data/real/coco``, skipped without them)
are laid out as the configs expect (``data/coco/`` in the working folder: annotations,
``train2017/``, ``val2017/`` and the person detections the stock test pipeline uses), and
the full-size configs run unchanged but for the schedule (one epoch), the batch size and
the data workers:

1. HSJP HRNet-W32 pretraining -> ``backbone.pth``;
2. fine-tuning from that ``backbone.pth`` (the README's ``--cfg-options
   model.backbone.init_cfg.checkpoint=...``), then ``mim test`` of its best checkpoint;
3. the location-free 25% config, trained and tested. It keeps MMPose's ImageNet
   ``init_cfg`` URL, which cannot be downloaded offline
   (tests/test_patches/test_offline_pretrained_init.py checks the message), so the run
   starts from random weights: ``model.backbone.init_cfg=None``.

HRNet-W32 at 256x192 takes about 2.4 s a batch of 8 on 2 cores; the whole test runs in a
few minutes.
"""
import re
from pathlib import Path
from typing import List

import pytest
import torch

from tests.utils import REPO_ROOT, run_mim

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1500)]

HSJP = REPO_ROOT / 'configs/hsjp/hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py'
FINETUNE = REPO_ROOT / 'configs/finetune/td-hm_hrnet-w32_hsjp-init_8xb64-210e_coco-256x192.py'
LOCFREE_25 = REPO_ROOT / 'configs/location_free/locfree_hrnet-w32_8xb64-210e_coco-loc25-256x192.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.fixture(scope='module')
def coco_workspace(real_coco_dir, tmp_path_factory) -> Path:
    """A working folder holding ``data/coco/`` as the COCO configs expect it, made of
    links to the real files: the four images in both ``train2017/`` and ``val2017/``,
    ``test_coco.json`` as both keypoint files, ``test_coco_det_AP_H_56.json`` as the
    person detections."""
    workspace = tmp_path_factory.mktemp('real_coco_full_size')
    coco = workspace / 'data' / 'coco'
    for split in ('train2017', 'val2017'):
        (coco / split).mkdir(parents=True)
        for image in sorted(real_coco_dir.glob('*.jpg')):
            (coco / split / image.name).symlink_to(image)
    (coco / 'annotations').mkdir()
    for split in ('train2017', 'val2017'):
        (coco / f'annotations/person_keypoints_{split}.json').symlink_to(
            real_coco_dir / 'test_coco.json')
    (coco / 'person_detection_results').mkdir()
    (coco / 'person_detection_results/COCO_val2017_detections_AP_H_56_person.json').symlink_to(
        real_coco_dir / 'test_coco_det_AP_H_56.json')
    return workspace


def _options(max_epochs: int = 1, val_interval: int = 1) -> List[str]:
    """The schedule, the batch size and the data workers; nothing else."""
    options = [f'train_cfg.max_epochs={max_epochs}', f'train_cfg.val_interval={val_interval}']
    for loader in LOADERS:
        options += [f'{loader}.batch_size=8', f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    return options


def _test_options() -> List[str]:
    return [option for option in _options() if option.startswith('test_dataloader.')]


def _coco_ap(out: str) -> float:
    found = re.findall(r'coco/AP: (-?\d+\.\d+)', out)
    assert found, out[-4000:]
    return float(found[-1])


def test_hsjp_pretrain_finetune_test_on_real_coco(coco_workspace):
    cwd = coco_workspace
    # 1. HSJP pretraining, as in the README
    hsjp_dir = cwd / 'work_dirs/hsjp_hrnet-w32'
    out = run_mim(['train', 'mmpose', HSJP, '--work-dir', 'work_dirs/hsjp_hrnet-w32',
                   '--cfg-options', *_options()], cwd=cwd, timeout=600).stdout
    # every non-crowd person box of at least 32x32 pixels: 12 of the 14
    assert re.search(r'jigsaw/patch_accuracy: \d', out), out[-4000:]
    backbone = hsjp_dir / 'backbone.pth'
    exported = torch.load(backbone, map_location='cpu', weights_only=True)['state_dict']
    assert 'conv1.weight' in exported  # a backbone-only file: no prefix, no head
    assert not any(key.startswith(('backbone.', 'head.')) for key in exported)

    # 2. fine-tuning from backbone.pth (the README's command), then mim test of the best
    out = run_mim(['train', 'mmpose', FINETUNE, '--cfg-options',
                   'model.backbone.init_cfg.checkpoint=work_dirs/hsjp_hrnet-w32/backbone.pth',
                   *_options()], cwd=cwd, timeout=900).stdout
    loaded = re.search(r'PretrainedInitCheckHook: model.backbone \(HRNet\): (\d+)/(\d+) '
                       r'tensors loaded from work_dirs/hsjp_hrnet-w32/backbone.pth', out)
    assert loaded and loaded.group(1) == loaded.group(2) == str(len(exported)), out[-4000:]
    finetune_dir = cwd / 'work_dirs' / FINETUNE.stem
    best = finetune_dir / 'best_coco_AP_epoch_1.pth'
    assert best.is_file(), sorted(p.name for p in finetune_dir.iterdir())
    train_ap = _coco_ap(out)

    out = run_mim(['test', 'mmpose', FINETUNE, '--checkpoint', best.relative_to(cwd),
                   '--cfg-options', *_test_options()], cwd=cwd, timeout=600).stdout
    # the 118 person detections of the four images (15 batches of 8), scored against the
    # annotated people; the same number as the validation after training
    assert re.search(r'Epoch\(test\) \[15/15\]', out), out[-4000:]
    assert _coco_ap(out) == pytest.approx(train_ap, abs=1e-6)


def test_location_free_25_train_and_test_on_real_coco(coco_workspace):
    cwd = coco_workspace
    work_dir = 'work_dirs/locfree_hrnet-w32_loc25'
    out = run_mim(['train', 'mmpose', LOCFREE_25, '--work-dir', work_dir, '--cfg-options',
                   'model.backbone.init_cfg=None', *_options(val_interval=2)],
                  cwd=cwd, timeout=600).stdout
    assert re.search(r'Epoch\(train\)\s+\[1\]\[\s*\d+/\d+\].*loss: \d', out), out[-4000:]
    checkpoint = cwd / work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    out = run_mim(['test', 'mmpose', LOCFREE_25, '--checkpoint', checkpoint.relative_to(cwd),
                   '--work-dir', work_dir, '--cfg-options', 'model.backbone.init_cfg=None',
                   *_test_options()], cwd=cwd, timeout=600).stdout
    assert re.search(r'Epoch\(test\) \[15/15\]', out), out[-4000:]
    assert _coco_ap(out) >= 0.0
