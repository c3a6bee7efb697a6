# Copyright (c) hsjp-mmpose contributors.
"""Reading convergence curves: the per-epoch validation records of a training run.

:class:`~hsjp_mmpose.engine.hooks.ConvergenceRecorderHook` writes
``<work_dir>/convergence.json`` (:data:`CONVERGENCE_FILE`), a JSON list of records::

    {"epoch": 3, "iter": 120, "elapsed_s": 95.2, "metrics": {"coco/AP": 0.41, ...}}

This module reads them (:func:`load_convergence`), extracts one metric's curve
(:func:`metric_curve`) and measures how fast a run gets near its best
(:func:`epochs_to_fraction`). It sits beside the hook, not in
:mod:`hsjp_mmpose.experiments` (which re-exports it), so that the plot
(:mod:`hsjp_mmpose.visualization.curves`) and a training process that imports the plugin
do not load the experiment runner. Standard library only.
"""
import json
import math
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

#: The file ConvergenceRecorderHook writes in a work dir.
CONVERGENCE_FILE = 'convergence.json'
#: What to tell a user whose work dir has no convergence file.
HOW_TO_RECORD = ("add dict(type='ConvergenceRecorderHook') to the config's custom_hooks "
                 '(the small configs in configs/ have it) and train again; it writes '
                 f'{CONVERGENCE_FILE} after every validation')

#: Values this close (relative) to the target count as reaching it (float rounding).
_RELATIVE_TOLERANCE = 1e-9

__all__ = ['CONVERGENCE_FILE', 'HOW_TO_RECORD', 'load_convergence', 'metric_curve',
           'epochs_to_fraction']


def load_convergence(work_dir: Union[str, Path]) -> List[dict]:
    """Read the records of a run, sorted by iteration.

    Args:
        work_dir (str | Path): A work dir holding ``convergence.json``, or the file itself.

    Returns:
        list[dict]: The records (``epoch``, ``iter``, ``elapsed_s``, ``metrics``).

    Raises:
        FileNotFoundError: When there is no such file; the message names the work dir and
            how to get one.
        ValueError: When the file is not a list of records.
    """
    path = Path(work_dir)
    if path.is_dir() or not path.suffix == '.json':
        path = path / CONVERGENCE_FILE
    if not path.is_file():
        where = path.parent
        what = 'no such folder' if not where.is_dir() else f'no {CONVERGENCE_FILE} in it'
        raise FileNotFoundError(f'{where}: {what}. To record a run\'s convergence, '
                                f'{HOW_TO_RECORD}.')
    try:
        records = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f'{path} is not valid JSON: {error}') from error
    if not isinstance(records, list) or not all(
            isinstance(r, dict) and isinstance(r.get('metrics'), dict) and 'epoch' in r
            for r in records):
        raise ValueError(f'{path} is not a list of {{"epoch", "iter", "elapsed_s", '
                         f'"metrics"}} records')
    return sorted(records, key=lambda r: (r.get('iter', 0), r['epoch']))


def _available(records: Sequence[dict]) -> List[str]:
    return sorted({name for r in records for name in r['metrics']})


def metric_curve(records: Sequence[dict], metric: str,
                 x: str = 'epoch') -> Tuple[List[float], List[float]]:
    """``(xs, values)`` of one metric, over the records that have a finite value of it.

    Args:
        records: As :func:`load_convergence` returns them.
        metric: A metric name, e.g. ``'coco/AP'``.
        x: The record field for the x axis: ``'epoch'``, ``'iter'`` or ``'elapsed_s'``.

    Raises:
        KeyError: When no record has the metric (the message lists those there are).
    """
    xs, values = [], []
    for record in records:
        value = record['metrics'].get(metric)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
            xs.append(record[x])
            values.append(float(value))
    if not values:
        raise KeyError(f'no record has the metric {metric!r}; recorded metrics: '
                       f'{_available(records) or "none"}')
    return xs, values


def epochs_to_fraction(records: Sequence[dict], metric: str, fraction: float = 0.9,
                       higher_is_better: bool = True,
                       reference: Optional[float] = None) -> Optional[int]:
    """The first epoch at which a run comes within ``fraction`` of its own best value (or
    of a ``reference``, e.g. the best final score of several runs).

    With ``best`` the ``reference``, or else the best value of ``metric`` over all records
    of the run (the largest for ``higher_is_better``, else the smallest):

    - higher is better (AP, PCK, accuracy): the first epoch whose value is
      ``>= fraction * best``; ``None`` when ``best <= 0`` (a run that never rose above 0
      has no convergence epoch);
    - lower is better (MPJPE, loss): the first epoch whose value is ``<= best / fraction``
      (e.g. 90% with a best MPJPE of 45 mm: the first epoch at or below 50 mm); the values
      must be >= 0.

    Args:
        records: As :func:`load_convergence` returns them.
        metric: A metric name, e.g. ``'coco/AP'`` or ``'mpjpe'``.
        fraction: In ``(0, 1]``; 1 gives the epoch of the best value. Defaults to 0.9.
        higher_is_better: The direction of the metric. Defaults to True.
        reference: The value to come within ``fraction`` of, instead of the run's best;
            a run that never does gives ``None``.

    Returns:
        int | None: The epoch, as recorded (epochs trained so far).

    Raises:
        KeyError: When no record has the metric.
        ValueError: On a bad ``fraction`` or negative lower-is-better values.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction!r}')
    epochs, values = metric_curve(sorted(records, key=lambda r: (r.get('iter', 0),
                                                                 r['epoch'])), metric)
    if higher_is_better:
        best = max(values) if reference is None else reference
        if best <= 0:
            return None
        target = fraction * best * (1 - _RELATIVE_TOLERANCE)
        reached = [epoch for epoch, value in zip(epochs, values) if value >= target]
    else:
        if min(values) < 0:
            raise ValueError(f'lower-is-better metric {metric!r} has negative values; the '
                             'ratio best / fraction assumes values >= 0')
        best = min(values) if reference is None else reference
        target = best / fraction * (1 + _RELATIVE_TOLERANCE)
        reached = [epoch for epoch, value in zip(epochs, values) if value <= target]
    return int(reached[0]) if reached else None
