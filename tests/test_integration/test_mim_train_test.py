# Copyright (c) hsjp-mmpose contributors.
"""A stock MMPose top-down model through `mim train` / `mim test` on generated people."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hsjp_mmpose.utils import coco_data_root_options
from tests.utils import REPO_ROOT, mim_executable, run_mim

pytestmark = pytest.mark.integration
TINY_CONFIG = REPO_ROOT / 'tests/data/configs/td-hm_res18-tiny_1xb8-2e_synthetic-128x96.py'


def _options(data_root, *extra):
    return ['--cfg-options', *coco_data_root_options(data_root), *extra]


def test_mim_train_then_mim_test(synthetic_coco, tmp_path):
    work_dir = tmp_path / 'work'
    run_mim(['train', 'mmpose', TINY_CONFIG, '--work-dir', work_dir,
             *_options(synthetic_coco)], timeout=600)
    checkpoint = work_dir / 'epoch_2.pth'
    assert checkpoint.is_file()

    proc = run_mim(['test', 'mmpose', TINY_CONFIG, '--checkpoint', checkpoint,
                    '--work-dir', tmp_path / 'test', *_options(synthetic_coco)], timeout=600)
    for key in ('coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AR'):
        assert key in proc.stdout, proc.stdout[-3000:]
    assert re.search(r'coco/AP: \d\.\d+', proc.stdout)


def test_resume_a_killed_run(synthetic_coco, tmp_path):
    """Kill a run after its first checkpoint, resume it, and check it goes on from there."""
    work_dir = tmp_path / 'work'
    args = [mim_executable(), 'train', 'mmpose', str(TINY_CONFIG), '--work-dir', str(work_dir),
            *_options(synthetic_coco, 'train_cfg.max_epochs=50', 'train_cfg.val_interval=100')]
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    last_checkpoint = work_dir / 'last_checkpoint'
    deadline = time.time() + 300
    try:
        while not last_checkpoint.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert last_checkpoint.exists(), 'the run wrote no checkpoint before the deadline'
    saved = Path(last_checkpoint.read_text().strip())
    saved_epoch = int(re.search(r'epoch_(\d+)\.pth', saved.name).group(1))
    assert saved_epoch < 50, 'the run finished before it could be killed'

    resumed = run_mim(['train', 'mmpose', TINY_CONFIG, '--work-dir', work_dir, '--resume',
                       *_options(synthetic_coco, f'train_cfg.max_epochs={saved_epoch + 1}',
                                 'train_cfg.val_interval=100')], timeout=600)
    assert f'resumed epoch: {saved_epoch}' in resumed.stdout, resumed.stdout[-3000:]
    assert f'Epoch(train)  [{saved_epoch + 1}]' in resumed.stdout or \
        f'Epoch(train) [{saved_epoch + 1}]' in resumed.stdout
    assert 'Epoch(train) [1]' not in resumed.stdout.replace('  ', ' ') or saved_epoch == 0
    assert (work_dir / f'epoch_{saved_epoch + 1}.pth').is_file()
