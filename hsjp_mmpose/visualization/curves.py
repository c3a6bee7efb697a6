# Copyright (c) hsjp-mmpose contributors.
"""Convergence curves of several runs in one figure (one metric against the epoch)."""
import os
import os.path as osp
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

from hsjp_mmpose.experiments.convergence import load_convergence, metric_curve

#: A run: its work dir (holding convergence.json), the file itself, or its records.
RunSource = Union[str, Path, Sequence[dict]]


def plot_convergence(runs: Mapping[str, RunSource],
                     metric: str,
                     out_file: Union[str, Path],
                     title: Optional[str] = None,
                     x: str = 'epoch',
                     ylabel: Optional[str] = None,
                     dpi: int = 120) -> str:
    """Draw ``metric`` against the epoch, one labelled line per run, and save it.

    Args:
        runs (Mapping[str, str | Path | list]): ``{label: run}``, where a run is a work dir
            written with ``ConvergenceRecorderHook`` (or its ``convergence.json``), or the
            records themselves (as :func:`~hsjp_mmpose.experiments.convergence.
            load_convergence` returns them). Lines are drawn in the mapping's order.
        metric (str): The metric, e.g. ``'coco/AP'``.
        out_file (str | Path): The image to write (``.png``, ``.pdf``, ``.svg``, ...);
            parent folders are created.
        title (str, optional): Defaults to ``'<metric> per epoch'``.
        x (str): The x axis: ``'epoch'`` (default), ``'iter'`` or ``'elapsed_s'``.
        ylabel (str, optional): Defaults to the metric's name.
        dpi (int): Resolution of raster images. Defaults to 120.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: When ``runs`` is empty.
        FileNotFoundError: When a work dir has no ``convergence.json`` (the message names
            it and says how to record one).
        KeyError: When a run has no value of ``metric`` (the message names the run and the
            metrics it has).
    """
    if not runs:
        raise ValueError('plot_convergence needs at least one run')
    if x not in ('epoch', 'iter', 'elapsed_s'):
        raise ValueError(f"x must be 'epoch', 'iter' or 'elapsed_s', got {x!r}")
    curves = []
    for label, run in runs.items():
        records = load_convergence(run) if isinstance(run, (str, Path)) else list(run)
        try:
            curves.append((str(label), *metric_curve(records, metric, x=x)))
        except KeyError as error:
            raise KeyError(f'run {label!r}: {error.args[0]}') from None

    # The Agg canvas, without pyplot: no global backend switch, no GUI.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, xs, values in curves:
        ax.plot(xs, values, marker='o' if len(xs) <= 40 else None, markersize=3,
                linewidth=1.5, label=label)
    ax.set_xlabel({'epoch': 'epoch', 'iter': 'iteration', 'elapsed_s': 'training time (s)'}[x])
    ax.set_ylabel(ylabel or metric)
    ax.set_title(title or f'{metric} per {"epoch" if x == "epoch" else x}')
    ax.grid(True, alpha=0.3)
    ax.legend(loc='best', fontsize='small')
    fig.tight_layout()
    out_file = str(out_file)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=dpi)
    return out_file
