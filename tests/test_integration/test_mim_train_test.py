# Copyright (c) hsjp-mmpose contributors.
"""A stock MMPose top-down model through `mim train` / `mim test` on generated people."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hsjp_mmpose.experiments.options import coco_data_root_options
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
    """Kill a run mid-schedule, resume it with the same command: it goes on from its last
    checkpoint and ends with the same number of epochs as an uninterrupted run."""
    work_dir = tmp_path / 'work'
    max_epochs = 6
    options = _options(synthetic_coco, f'train_cfg.max_epochs={max_epochs}',
                       'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1',
                       'default_hooks.checkpoint.max_keep_ckpts=-1')
    args = [mim_executable(), 'train', 'mmpose', str(TINY_CONFIG), '--work-dir', str(work_dir),
            *options]
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    last_checkpoint = work_dir / 'last_checkpoint'
    deadline = time.time() + 300
    try:
        while not last_checkpoint.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert last_checkpoint.exists(), 'the run wrote no checkpoint before the deadline'
    saved = Path(last_checkpoint.read_text().strip())
    saved_epoch = int(re.search(r'epoch_(\d+)\.pth', saved.name).group(1))
    assert saved_epoch < max_epochs, 'the run finished before it could be killed'

    resumed = run_mim(['train', 'mmpose', TINY_CONFIG, '--work-dir', work_dir, '--resume',
                       *options], timeout=600)
    log = resumed.stdout.replace('Epoch(train)  [', 'Epoch(train) [')
    assert f'resumed epoch: {saved_epoch}' in log, log[-3000:]
    trained = sorted({int(e) for e in re.findall(r'Epoch\(train\) \[(\d+)\]', log)})
    assert trained == list(range(saved_epoch + 1, max_epochs + 1)), trained
    assert (work_dir / f'epoch_{max_epochs}.pth').is_file()
    assert not (work_dir / f'epoch_{max_epochs + 1}.pth').exists()
    assert saved.is_file(), 'the checkpoint the run was resumed from was lost'
