# Copyright (c) hsjp-mmpose contributors.
"""When a training run has converged: the plateau rule, one pure function of a validation
curve (:func:`plateau`), shared by the hook that applies it during training
(:class:`~hsjp_mmpose.engine.hooks.PlateauStoppingHook`) and by the experiments that read
it off recorded curves, so the two always agree."""
import math
from dataclasses import dataclass
from typing import List, Sequence

__all__ = ['PlateauRule', 'plateau', 'smoothed']


@dataclass(frozen=True)
class PlateauRule:
    """When a run has converged (see :func:`plateau`).

    Args:
        patience: validations in a row without improvement that stop training.
        min_delta: the least gain over the reference that counts as an improvement (in
            the metric's units: AP and PCK as fractions, MPJPE in mm).
        higher_is_better: the metric's direction.
        window: the rule reads the mean of the last ``window`` validations (fewer at the
            start), so that one noisy validation neither stops a climbing curve nor
            resets the count; 1 reads the raw curve (mmengine's ``EarlyStoppingHook``).
    """
    patience: int
    min_delta: float
    higher_is_better: bool = True
    window: int = 1

    def __post_init__(self) -> None:
        for name in ('patience', 'window'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be an integer >= 1, got {value!r}')
        if not self.min_delta >= 0:
            raise ValueError(f'min_delta must be >= 0, got {self.min_delta!r}')

    def describe(self, metric: str, val_every: int, max_iters: int) -> str:
        better = 'higher' if self.higher_is_better else 'lower'
        curve = ('the curve' if self.window == 1
                 else f'the mean of the last {self.window} validations')
        return (f'{metric}: validate every ~{val_every} iterations (whole epochs); a '
                f'validation improves when {curve} is at least {self.min_delta:g} {better} '
                f'than at the last improving one; stop after {self.patience} validations in '
                f'a row without improvement, or at {max_iters} iterations (cap)')


def smoothed(values: Sequence[float], window: int) -> List[float]:
    """The trailing mean of the last ``window`` values at every point (fewer at the
    start); a non-finite value stays non-finite."""
    out = []
    for i in range(len(values)):
        part = [float(v) for v in values[max(0, i - window + 1):i + 1]]
        out.append(sum(part) / len(part))
    return out


def plateau(iters: Sequence[int], values: Sequence[float], rule: PlateauRule) -> dict:
    """Apply the plateau rule to a recorded validation curve.

    The rule, on the curve smoothed by ``rule.window`` (:func:`smoothed`; the raw curve
    for a window of 1, where it is mmengine's ``EarlyStoppingHook`` with ``check_finite``
    and no threshold): the reference starts at -inf (+inf when lower is better); a value
    ``v`` improves when ``v >= ref + min_delta`` (``v <= ref - min_delta``) and becomes the
    reference; else a counter rises, and reaching ``patience`` (or a non-finite value)
    stops training there.

    Args:
        iters: iteration of each validation, increasing.
        values: the metric at each validation.
        rule: :class:`PlateauRule`.

    Returns:
        dict: ``stopped`` (the rule stopped the curve; False: it ran to its end, e.g. the
        cap), ``stop_iter`` (the validation it stopped at, else the last), ``best`` and
        ``best_iter`` (the best finite raw value up to the stop, first reached),
        ``best_smoothed`` (the best smoothed value up to the stop), ``num_vals``
        (validations up to the stop).

    Raises:
        ValueError: on an empty curve or lengths that differ.
    """
    if len(iters) != len(values) or not len(values):
        raise ValueError(f'a curve needs as many iterations as values, at least one; got '
                         f'{len(iters)} and {len(values)}')
    sign = 1. if rule.higher_is_better else -1.
    curve = smoothed(values, rule.window)
    reference, wait, stop = -math.inf, 0, len(values) - 1
    stopped = False
    for i, value in enumerate(curve):
        score = sign * value
        if not math.isfinite(score):
            stopped, stop = True, i
            break
        if score >= reference + rule.min_delta:
            reference, wait = score, 0
        else:
            wait += 1
            if wait >= rule.patience:
                stopped, stop = True, i
                break
    finite = [(sign * float(v), i) for i, v in enumerate(values[:stop + 1])
              if math.isfinite(float(v))]
    best_index = max(finite, key=lambda x: (x[0], -x[1]))[1] if finite else None
    smooth = [sign * v for v in curve[:stop + 1] if math.isfinite(v)]
    return dict(stopped=stopped, stop_iter=int(iters[stop]), num_vals=stop + 1,
                best=None if best_index is None else float(values[best_index]),
                best_iter=None if best_index is None else int(iters[best_index]),
                best_smoothed=sign * max(smooth) if smooth else None)
