# Copyright (c) hsjp-mmpose contributors.
"""(e) A NaN loss stops training with a message, and the last good checkpoint is kept:
through mmengine's Runner on the tiny config, with a NaN injected into the loss."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook

from hsjp_mmpose.engine.hooks import NaNLossGuardHook, NonFiniteLossError
from tests.utils import tiny_runner_cfg


class InjectNaNLoss(Hook):
    """From training iteration ``from_iter`` (0-based) on, the keypoint loss is NaN."""

    def __init__(self, from_iter: int):
        self.from_iter = from_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.from_iter:
            loss_module = runner.model.head.loss_module
            original = loss_module.forward
            loss_module.forward = lambda *args, **kwargs: original(*args, **kwargs) * float('nan')


def load_state(path):
    # A file this test's runner just wrote (message hub and all), so plain unpickling is safe.
    return torch.load(str(path), map_location='cpu', weights_only=False)['state_dict']


def all_finite(state) -> bool:
    return all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point())


def train_with_nan(data_root, work_dir, guard: bool, by_epoch: bool = True):
    from mmengine.runner import Runner
    cfg = tiny_runner_cfg(data_root, work_dir, max_epochs=2)
    if not by_epoch:
        cfg.default_hooks.checkpoint.update(by_epoch=False, interval=1)
    hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'NaNLossGuardHook']
    cfg.custom_hooks = hooks + ([dict(type='NaNLossGuardHook')] if guard else [])
    runner = Runner.from_cfg(cfg)
    runner.register_hook(InjectNaNLoss(from_iter=1))  # 8 images, batch 8: epoch 2
    runner.train()


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_coco, tmp_path):
    work_dir = tmp_path / 'work'
    with pytest.raises(NonFiniteLossError) as error:
        train_with_nan(tiny_coco, work_dir, guard=True)
    message = str(error.value)
    assert isinstance(error.value, RuntimeError)
    assert 'NaNLossGuardHook: training stopped at epoch 2, iteration 2 (batch 1 of 1): ' \
           'the loss is not finite (loss, loss_kpt); loss terms: loss=nan, loss_kpt=nan.' \
        in message
    assert f'The last good checkpoint, {work_dir / "epoch_1.pth"}, is kept' in message
    assert 'How to mend it: lower the learning rate' in message
    assert f'then resume from the last good checkpoint (--resume {work_dir / "epoch_1.pth"})' \
        in message
    # epoch_1.pth is still there, loads and is finite; nothing was saved after the NaN.
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_1.pth']
    assert all_finite(load_state(work_dir / 'epoch_1.pth'))
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')


def test_guard_runs_before_iteration_checkpoints(tiny_coco, tmp_path):
    """CheckpointHook saves in after_train_iter when by_epoch=False: the guard's higher
    priority makes it raise first, so iter_2.pth (NaN weights) is never written."""
    work_dir = tmp_path / 'work'
    with pytest.raises(NonFiniteLossError, match='iter_1.pth, is kept'):
        train_with_nan(tiny_coco, work_dir, guard=True, by_epoch=False)
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_1.pth']
    assert all_finite(load_state(work_dir / 'iter_1.pth'))


def test_without_guard_nan_checkpoint_is_saved(tiny_coco, tmp_path):
    """What the guard prevents: stock mmengine trains on and saves NaN weights."""
    work_dir = tmp_path / 'work'
    train_with_nan(tiny_coco, work_dir, guard=False)
    assert not all_finite(load_state(work_dir / 'epoch_2.pth'))


def fake_runner(iteration=4, epoch=0, work_dir='/nonexistent'):
    return SimpleNamespace(iter=iteration, epoch=epoch, work_dir=work_dir,
                           train_loop=SimpleNamespace(max_epochs=None))


def test_finite_and_missing_outputs_pass():
    hook = NaNLossGuardHook()
    hook.after_train_iter(fake_runner(), 0, outputs={'loss': torch.tensor(0.5),
                                                      'acc_pose': torch.tensor(float('nan'))})
    hook.after_train_iter(fake_runner(), 0, outputs=None)


def test_inf_in_iteration_based_run_and_no_checkpoint_yet():
    hook = NaNLossGuardHook()
    with pytest.raises(NonFiniteLossError) as error:
        hook.after_train_iter(fake_runner(iteration=4), 4, outputs={
            'loss': torch.tensor(float('inf')), 'loss_kpt': torch.tensor(float('inf'))})
    message = str(error.value)
    assert 'training stopped at iteration 5: the loss is not finite (loss, loss_kpt)' \
        in message
    assert 'No checkpoint had been saved yet' in message


def test_keys_and_interval():
    hook = NaNLossGuardHook(keys=['loss_kpt'], interval=2)
    outputs = {'loss': torch.tensor(float('nan')), 'loss_kpt': torch.tensor(float('nan'))}
    hook.after_train_iter(fake_runner(iteration=0), 0, outputs=outputs)  # not checked
    with pytest.raises(NonFiniteLossError, match=r'\(loss_kpt\); loss terms: loss_kpt=nan'):
        hook.after_train_iter(fake_runner(iteration=1), 1, outputs=outputs)
    with pytest.raises(ValueError, match='interval'):
        NaNLossGuardHook(interval=0)
    with pytest.raises(ValueError, match='keys'):
        NaNLossGuardHook(keys='loss')


def test_priority_above_checkpoint_and_logger_hooks():
    from mmengine.hooks import CheckpointHook, EMAHook, LoggerHook
    from mmengine.runner import get_priority
    guard = get_priority(NaNLossGuardHook.priority)
    for other in (CheckpointHook, LoggerHook, EMAHook):
        assert guard < get_priority(other.priority)  # smaller runs first
