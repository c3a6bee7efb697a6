# Copyright (c) hsjp-mmpose contributors.
"""Stop training when the validation curve plateaus (the rule of
:mod:`hsjp_mmpose.engine.plateau`, optionally on a smoothed curve)."""
import math
from numbers import Number
from typing import Dict, List, Optional

from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmpose.registry import HOOKS

from ..convergence import load_convergence
from ..plateau import PlateauRule, plateau


def _as_float(value) -> float:
    """A metric as a float, as ConvergenceRecorderHook records it (NumPy and 0-d torch
    scalars by their value); anything else is NaN (non-finite: the rule stops)."""
    if hasattr(value, 'item'):
        try:
            value = value.item()
        except (ValueError, RuntimeError):
            return math.nan
    if isinstance(value, bool) or not isinstance(value, Number):
        return math.nan
    return float(value)


@HOOKS.register_module()
class PlateauStoppingHook(Hook):
    """Stop training once :func:`hsjp_mmpose.engine.plateau.plateau` says the run has
    converged: after ``patience`` validations in a row whose trailing mean of ``window``
    validations does not beat the last improving one by ``min_delta``.

    With ``window=1`` it is mmengine's ``EarlyStoppingHook`` (same comparisons, same
    reference); a larger window judges a noisy curve by its trend. The decision is the pure
    function's on the whole curve so far, so a recorded curve replays to the same stop. A
    resumed run reads the curve back from ``<work_dir>/convergence.json``
    (``ConvergenceRecorderHook``, which must then come before this hook).

    Args:
        monitor (str): the metric, e.g. ``'tPCK'`` or ``'coco/AP'``.
        rule (str): ``'greater'`` or ``'less'``.
        min_delta (float): least change that counts as an improvement. Defaults to 0.
        patience (int): validations without improvement that stop. Defaults to 3.
        window (int): validations averaged. Defaults to 1.
    """

    priority = 'LOWEST'

    def __init__(self, monitor: str, rule: str = 'greater', min_delta: float = 0.,
                 patience: int = 3, window: int = 1) -> None:
        if rule not in ('greater', 'less'):
            raise ValueError(f"PlateauStoppingHook: rule must be 'greater' or 'less', got "
                             f'{rule!r}')
        self.monitor = monitor
        self.rule = PlateauRule(patience=patience, min_delta=float(min_delta),
                                higher_is_better=rule == 'greater', window=window)
        self.iters: List[int] = []
        self.values: List[float] = []

    def before_train(self, runner: Runner) -> None:
        self.iters, self.values = [], []
        if runner.iter == 0:
            return
        try:  # a resumed run: the curve so far
            records = load_convergence(runner.work_dir)
        except (FileNotFoundError, ValueError):
            return
        for record in records:
            value = record['metrics'].get(self.monitor)
            if record.get('iter', 0) <= runner.iter and isinstance(value, Number):
                self.iters.append(int(record['iter']))
                self.values.append(float(value))

    def after_val_epoch(self, runner: Runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if not metrics or self.monitor not in metrics:
            raise KeyError(f'PlateauStoppingHook: the validation metrics have no '
                           f'{self.monitor!r} (they are {sorted(metrics or {})}); set '
                           'monitor to one of them')
        self.iters.append(int(runner.iter))
        self.values.append(_as_float(metrics[self.monitor]))
        result = plateau(self.iters, self.values, self.rule)
        if result['stopped'] and result['num_vals'] == len(self.values):
            runner.train_loop.stop_training = True
            runner.logger.info(
                f'PlateauStoppingHook: {self.monitor} has not improved by {self.rule.min_delta:g} '
                f'for {self.rule.patience} validations (window {self.rule.window}); best '
                f'{result["best"]} at iteration {result["best_iter"]}. Stopping.')
