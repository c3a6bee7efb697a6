# Copyright (c) hsjp-mmpose contributors.
"""Stop training at the first NaN or infinite loss, before a checkpoint can save it."""
import math
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmpose.registry import HOOKS

DATA_BATCH = Optional[dict]


def _as_float(value) -> Optional[float]:
    """A scalar loss term as a float (a tensor is averaged); None for anything else."""
    if isinstance(value, torch.Tensor):
        if value.numel() == 0:
            return None
        return float(value.detach().float().mean().item())
    if isinstance(value, (int, float)):
        return float(value)
    return None


class NonFiniteLossError(RuntimeError):
    """Training stopped at a NaN or infinite loss."""


@HOOKS.register_module()
class NaNLossGuardHook(Hook):
    """Stop training with a clear error as soon as a loss term is NaN or infinite.

    A NaN loss poisons the weights through the optimizer step of the same iteration, and
    without this hook mmengine keeps training and its ``CheckpointHook`` then saves the NaN
    weights (``epoch_N.pth``, ``last_checkpoint``, possibly over the only good checkpoint
    when ``max_keep_ckpts`` is 1). This hook checks the loss terms that ``train_step``
    returns in ``after_train_iter`` and raises :class:`NonFiniteLossError` (a
    ``RuntimeError``) naming the epoch, the iteration and every loss term, the last good
    checkpoint and how to mend it. Its priority (``VERY_HIGH``) runs it before
    ``CheckpointHook`` (``VERY_LOW``, which saves in ``after_train_iter`` for
    iteration-based and ``after_train_epoch`` for epoch-based runs), the logger and EMA
    hooks, so the error leaves the work dir's checkpoints as they were before the NaN.

    Add it to a config with::

        custom_hooks = [dict(type='NaNLossGuardHook')]

    Args:
        keys (Sequence[str], optional): The output terms to check. Defaults to None: every
            term whose name contains ``'loss'`` (``loss``, ``loss_kpt``, ...).
        interval (int): Check every ``interval`` iterations. Checking reads the loss
            (a device synchronisation), which is cheap next to a training step.
            Defaults to 1.
    """

    priority = 'VERY_HIGH'

    def __init__(self, keys: Optional[Sequence[str]] = None, interval: int = 1) -> None:
        if keys is not None and (isinstance(keys, str)
                                 or not all(isinstance(key, str) for key in keys)):
            raise ValueError(f'keys must be None or a list of names, got {keys!r}')
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'interval must be a positive int, got {interval!r}')
        self.keys = list(keys) if keys is not None else None
        self.interval = interval

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        terms = self._terms(outputs)
        bad = [name for name, value in terms.items() if not math.isfinite(value)]
        if bad:
            raise NonFiniteLossError(self._message(runner, batch_idx, terms, bad))

    def _terms(self, outputs: dict) -> Dict[str, float]:
        names = self.keys if self.keys is not None else [
            name for name in outputs if 'loss' in name]
        terms = {}
        for name in names:
            value = _as_float(outputs.get(name))
            if value is not None:
                terms[name] = value
        return terms

    def _message(self, runner, batch_idx: int, terms: Dict[str, float], bad) -> str:
        shown = ', '.join(f'{name}={value:.6g}' for name, value in terms.items())
        where = f'iteration {runner.iter + 1}'
        train_loop = getattr(runner, 'train_loop', None)
        if getattr(train_loop, 'max_epochs', None) is not None:
            length = getattr(train_loop, 'dataloader', None)
            length = f' of {len(length)}' if hasattr(length, '__len__') else ''
            where = f'epoch {runner.epoch + 1}, {where} (batch {batch_idx + 1}{length})'
        try:
            last = find_latest_checkpoint(runner.work_dir)
        except Exception:  # noqa: BLE001 - the message must not fail
            last = None
        if last and osp.exists(last):
            kept = (f'The last good checkpoint, {last}, is kept: no checkpoint was saved '
                    'after the loss went non-finite.')
            resume = f'; then resume from the last good checkpoint (--resume {last})'
        else:
            kept = ('No checkpoint had been saved yet, and none was saved after the loss '
                    'went non-finite.')
            resume = ''
        return (f'{type(self).__name__}: training stopped at {where}: the loss is not '
                f'finite ({", ".join(bad)}); loss terms: {shown}. {kept}\n'
                'How to mend it: lower the learning rate (optim_wrapper.optimizer.lr, '
                'auto_scale_lr) or lengthen the warm-up, add gradient clipping '
                '(optim_wrapper.clip_grad=dict(max_norm=...)), and check the data of this '
                'batch (NaN or zero-size boxes, broken keypoints)' + resume + '.')
