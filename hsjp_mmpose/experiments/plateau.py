# Copyright (c) hsjp-mmpose contributors.
"""Converged scores for the label-efficiency benchmark: the plateau rule as overrides
(:func:`plateau_options`), the best score within a compute budget (:func:`best_within`),
the labels scratch needs to match a score (:func:`labels_to_match`) and whether a
pretrained arm's gain is converged (:func:`converged_gain`). The rule itself is
:mod:`hsjp_mmpose.engine.plateau` (re-exported here)."""
import math
from typing import List, Optional, Sequence, Tuple

from hsjp_mmpose.engine.plateau import PlateauRule, plateau, smoothed
from hsjp_mmpose.experiments.options import load_config, schedule_options

__all__ = ['PlateauRule', 'plateau', 'smoothed', 'best_within', 'labels_to_match',
           'plateau_options', 'converged_gain']


def best_within(iters: Sequence[int], values: Sequence[float], max_iter: float,
                higher_is_better: bool = True) -> Optional[Tuple[float, int]]:
    """The best value validated at or before ``max_iter`` and its iteration (first
    reached); ``None`` when no validation is that early."""
    sign = 1. if higher_is_better else -1.
    inside = [(sign * v, -it, v, it) for it, v in zip(iters, values)
              if it <= max_iter and math.isfinite(v)]
    if not inside:
        return None
    _, _, value, it = max(inside)
    return float(value), int(it)


def labels_to_match(budgets: Sequence[int], scores: Sequence[float], target: float,
                    higher_is_better: bool = True) -> dict:
    """The label budget at which a curve (scratch's score per budget) first reaches
    ``target``, interpolated linearly in log N between the two budgets around the first
    crossing.

    Returns:
        dict: ``labels`` and ``bound``: ``'exact'`` (interpolated), ``'at_most'`` (the
        smallest budget already reaches it: ``labels`` is that budget) or ``'more_than'``
        (no budget reaches it: ``labels`` is the largest budget).

    Raises:
        ValueError: on fewer than one budget, lengths that differ or budgets <= 0.
    """
    if len(budgets) != len(scores) or not budgets or min(budgets) <= 0:
        raise ValueError(f'budgets (> 0) and scores must be non-empty and of one length; '
                         f'got {list(budgets)} and {list(scores)}')
    sign = 1. if higher_is_better else -1.
    points = sorted(zip(budgets, (sign * s for s in scores)))
    goal = sign * target
    if points[0][1] >= goal:
        return dict(labels=float(points[0][0]), bound='at_most')
    for (n0, s0), (n1, s1) in zip(points, points[1:]):
        if s1 >= goal > s0:
            t = (goal - s0) / (s1 - s0)
            labels = math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))
            return dict(labels=labels, bound='exact')
    return dict(labels=float(points[-1][0]), bound='more_than')


def converged_gain(pretrained: dict, scratch: dict, long_scratch: Optional[dict],
                   min_gain: float = 0., higher_is_better: bool = True) -> dict:
    """Whether a pretrained arm's lead over scratch is a converged gain, not a head start.

    A gain counts only when both arms were stopped by the plateau rule (not the cap),
    the pretrained arm's best beats scratch's by at least ``min_gain``, and scratch
    trained much longer without the rule (``long_scratch``: its best within its budget)
    stays below the pretrained arm.

    Args:
        pretrained, scratch: plateau results (``best``, ``stopped``).
        long_scratch: ``best`` of the long scratch arm, or None when there is none.
        min_gain: the least lead that counts (the target).
        higher_is_better: the metric's direction.

    Returns:
        dict: ``gain`` (signed, in the metric's units; positive is better for the
        pretrained arm), ``converged`` (both arms stopped by the rule), ``long_below``
        (None without a long arm), ``holds`` (all conditions).
    """
    sign = 1. if higher_is_better else -1.
    gain = sign * (pretrained['best'] - scratch['best'])
    converged = bool(pretrained.get('stopped')) and bool(scratch.get('stopped'))
    long_below = None
    if long_scratch is not None and long_scratch.get('best') is not None:
        long_below = sign * (pretrained['best'] - long_scratch['best']) > 0
    holds = converged and gain >= min_gain - 1e-12 and long_below is True
    return dict(gain=gain, converged=converged, long_below=long_below, holds=holds)


def plateau_options(config, num_labelled: int, rule: Optional[PlateauRule], metric: str,
                    val_every: int, max_iters: int) -> List[str]:
    """Overrides that fine-tune ``config`` on its first ``num_labelled`` people until the
    plateau rule stops it (``rule=None``: until the cap), validating every ~``val_every``
    iterations, with a constant learning rate after the warm-up.

    Epochs are whole: with ``b`` iterations per epoch (``ceil(N / batch size)``), validation
    every ``max(1, round(val_every / b))`` epochs, and the cap rounded up to whole
    validations. Checkpoints are kept at every validation (the last one, for resuming).
    A rule of window 1 is mmengine's ``EarlyStoppingHook``; a wider window is
    :class:`~hsjp_mmpose.engine.hooks.PlateauStoppingHook`.

    Raises:
        ValueError: when the config's by-epoch scheduler is not a ``CosineAnnealingLR``
            (the one whose floor is raised to make the rate constant).
    """
    cfg = load_config(config)
    batch = int(cfg.train_dataloader.batch_size)
    per_epoch = math.ceil(num_labelled / batch)
    val_epochs = max(1, round(val_every / per_epoch))
    max_epochs = val_epochs * max(1, math.ceil(max_iters / (val_epochs * per_epoch)))
    lr = float(cfg.optim_wrapper.optimizer.lr)
    options = schedule_options(cfg, max_epochs, val_interval=val_epochs)
    schedulers = cfg.get('param_scheduler') or []
    for i, sched in enumerate([schedulers] if isinstance(schedulers, dict) else schedulers):
        if not sched.get('by_epoch', True):
            continue  # the warm-up
        if sched.get('type') != 'CosineAnnealingLR':
            raise ValueError(f'param_scheduler.{i} of {config} is {sched.get("type")}; the '
                             'label-efficiency arms make a CosineAnnealingLR constant '
                             '(eta_min = lr): give the config one')
        options.append(f'param_scheduler.{i}.eta_min={lr}')
    options += [f'train_dataloader.dataset.indices={num_labelled}',
                f'default_hooks.checkpoint.interval={val_epochs}']
    if rule is not None:
        hook = 'EarlyStoppingHook' if rule.window == 1 else 'PlateauStoppingHook'
        options += [f'default_hooks.early_stopping.type={hook}',
                    f'default_hooks.early_stopping.monitor={metric}',
                    'default_hooks.early_stopping.rule='
                    + ('greater' if rule.higher_is_better else 'less'),
                    f'default_hooks.early_stopping.min_delta={float(rule.min_delta)}',
                    f'default_hooks.early_stopping.patience={rule.patience}']
        options.append('default_hooks.early_stopping.strict=True' if rule.window == 1
                       else f'default_hooks.early_stopping.window={rule.window}')
    return options
