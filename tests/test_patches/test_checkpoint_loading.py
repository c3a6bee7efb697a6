# Copyright (c) hsjp-mmpose contributors.
"""Checkpoint loading under PyTorch's weights_only rules (patches.checkpoint_loading)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint

import hsjp_mmpose  # noqa: F401  (applies the compat patch)
from hsjp_mmpose.patches.checkpoint_loading import UnsafeCheckpointError


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

    from hsjp_mmpose.patches.checkpoint_loading import _history_buffer_statistic
    assert _history_buffer_statistic(HistoryBuffer, 'mean') is HistoryBuffer.mean
    for owner, name in [(HistoryBuffer, '__init__'), (HistoryBuffer, 'register_statistics'),
                        (os, 'system'), (np.ndarray, 'tofile')]:
        with pytest.raises(Exception, match='not allowed'):
            _history_buffer_statistic(owner, name)


def _save_with_statistics_table(path, table):
    """Save a HistoryBuffer whose pickled statistics table is ``table`` (a crafted file)."""
    from mmengine.logging.history_buffer import HistoryBuffer
    original = HistoryBuffer.__getstate__

    def crafted(self):
        return dict(self.__dict__, statistics_methods=table)

    HistoryBuffer.__getstate__ = crafted
    try:
        torch.save({'state_dict': {'w': torch.zeros(1)},
                    'message_hub': {'log_scalars': {'loss': HistoryBuffer([1., 3.], [1, 1])}}},
                   path)
    finally:
        HistoryBuffer.__getstate__ = original


def test_checkpoint_cannot_change_history_buffer_class_state(tmp_path):
    from mmengine.logging.history_buffer import HistoryBuffer
    path = tmp_path / 'crafted.pth'
    _save_with_statistics_table(path, {'mean': HistoryBuffer.max, 'min': HistoryBuffer.max})
    # The attack is real: stock unpickling swaps `mean` for `max` in the whole process.
    code = ('import sys, torch\nfrom mmengine.logging.history_buffer import HistoryBuffer\n'
            'torch.load(sys.argv[1], weights_only=False)\n'
            'print(HistoryBuffer._statistics_methods["mean"] is HistoryBuffer.max)\n')
    proc = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == 'True', proc.stdout + proc.stderr

    HistoryBuffer([0.], [1])  # the built-in statistics are registered
    before = dict(HistoryBuffer._statistics_methods)
    loaded = _load_checkpoint(str(path), map_location='cpu')['message_hub']['log_scalars']['loss']
    assert type(loaded) is HistoryBuffer
    assert HistoryBuffer._statistics_methods == before
    assert HistoryBuffer._statistics_methods['mean'] is HistoryBuffer.mean
    assert loaded.mean() == pytest.approx(2.0) and loaded.statistics('min') == 1.0


def test_allowance_is_limited_to_mmengine_loading(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    assert _load_checkpoint(str(path), map_location='cpu')['meta']['epoch'] == 3
    with pytest.raises(Exception, match='HistoryBuffer|GLOBAL|global'):
        torch.load(path, weights_only=True)  # outside mmengine's loader: PyTorch's own rules


def test_numpy_1_checkpoint_loads_under_numpy_2(tmp_path):
    path = tmp_path / 'numpy1.pth'
    torch.save({'meta': {'sigmas': np.arange(3.), 'seed': np.int64(7)},
                'state_dict': {'w': torch.ones(1)}}, path, _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    assert b'numpy._core.multiarray\n' in data
    path.write_bytes(data.replace(b'numpy._core.multiarray\n', b'numpy.core.multiarray\n'))
    assert b'numpy.core.multiarray\n' in path.read_bytes()
    checkpoint = _load_checkpoint(str(path), map_location='cpu')
    np.testing.assert_array_equal(checkpoint['meta']['sigmas'], np.arange(3.))
    assert checkpoint['meta']['seed'] == 7


@pytest.mark.parametrize('damage', ['truncate', 'garbage'])
def test_corrupt_checkpoint_is_reported_as_corrupt(tmp_path, damage):
    from hsjp_mmpose.patches.checkpoint_loading import CorruptCheckpointError
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if damage == 'truncate' else b'\x80\x02garbage' * 50)
    with pytest.raises(CorruptCheckpointError) as error:
        _load_checkpoint(str(path), map_location='cpu')
    message = str(error.value)
    assert str(path) in message and 'truncated or corrupt' in message
    assert 'arbitrary code' not in message
