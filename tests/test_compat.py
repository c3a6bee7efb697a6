# Copyright (c) hsjp-mmpose contributors.
"""Checkpoint loading under PyTorch's weights_only rules (hsjp_mmpose.compat)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint

import hsjp_mmpose  # noqa: F401  (applies the compat patch)
from hsjp_mmpose.compat import UnsafeCheckpointError


class _RunsCommandWhenUnpickled:
    """A pickle payload: unpickling it calls os.system(command)."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def _mmengine_style_checkpoint(path):
    """A checkpoint with what mmengine's Runner.save_checkpoint puts in one."""
    hub = MessageHub.get_instance('hsjp_compat_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', np.float64(1e-3))
    hub.update_info('best_score', np.float32(0.25))
    checkpoint = {
        'meta': {'epoch': 3, 'iter': 30, 'seed': np.int64(7), 'mmengine_version': '0.10.7',
                 'dataset_meta': {'flip_indices': [0, 2, 1], 'sigmas': np.ones(3),
                                  'skeleton_links': np.zeros((0, 2), np.int64)}},
        'state_dict': {'backbone.weight': torch.ones(2, 3)},
        'message_hub': hub.state_dict(),
        'optimizer': {'state': {}, 'param_groups': [{'lr': 1e-3, 'params': [0]}]},
    }
    torch.save(checkpoint, path)


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    checkpoint = _load_checkpoint(str(path), map_location='cpu')
    assert checkpoint['meta']['epoch'] == 3
    history = checkpoint['message_hub']['log_scalars']['train/loss']
    assert history.current() == pytest.approx(0.5)
    assert torch.equal(checkpoint['state_dict']['backbone.weight'], torch.ones(2, 3))


def test_same_checkpoint_fails_without_the_plugin(tmp_path):
    """Guards the test above: stock mmengine + torch 2.13 cannot load this file."""
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    code = ('import sys; from mmengine.runner.checkpoint import _load_checkpoint\n'
            'try:\n    _load_checkpoint(sys.argv[1], map_location="cpu")\n'
            'except Exception as e:\n    print(type(e).__name__); sys.exit(3)\n')
    proc = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert 'UnpicklingError' in proc.stdout


def test_malicious_checkpoint_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)},
                'meta': _RunsCommandWhenUnpickled(f'touch {marker}')}, path)

    with pytest.raises(UnsafeCheckpointError) as error:
        _load_checkpoint(str(path), map_location='cpu')
    message = str(error.value)
    assert str(path) in message
    assert 'system' in message  # names the global it refused
    assert 'How to mend it' in message
    assert not marker.exists()

    model = torch.nn.Linear(1, 1)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(model, str(path), map_location='cpu')
    assert not marker.exists()


def test_plain_torch_load_still_refuses_unknown_globals(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(_RunsCommandWhenUnpickled('true'), path)
    with pytest.raises(Exception, match='system'):
        torch.load(path, weights_only=True)


def test_checkpoint_loads_in_a_fresh_process(tmp_path):
    """In a new process no HistoryBuffer exists yet (its statistics table is filled lazily)."""
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    code = ('import sys, hsjp_mmpose\nfrom mmengine.runner.checkpoint import _load_checkpoint\n'
            'ckpt = _load_checkpoint(sys.argv[1], map_location="cpu")\n'
            'print(ckpt["message_hub"]["log_scalars"]["train/loss"].mean())\n')
    proc = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith('0.5')


def test_getattr_is_limited_to_history_buffer_statistics():
    from mmengine.logging.history_buffer import HistoryBuffer

    from hsjp_mmpose.compat import _history_buffer_statistic
    assert _history_buffer_statistic(HistoryBuffer, 'mean') is HistoryBuffer.mean
    for owner, name in [(HistoryBuffer, '__init__'), (HistoryBuffer, 'register_statistics'),
                        (os, 'system'), (np.ndarray, 'tofile')]:
        with pytest.raises(Exception, match='not allowed'):
            _history_buffer_statistic(owner, name)
