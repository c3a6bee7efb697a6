# Copyright (c) hsjp-mmpose contributors.
"""Convergence curves of several runs in one figure (one metric against the epoch): the one
plot of the project (``tools/plot_convergence.py``, the quickstart, the pretraining
benchmark)."""
import os
import os.path as osp
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Union

from hsjp_mmpose.engine.convergence import load_convergence, metric_curve

#: A run: its work dir (holding convergence.json), the file itself, or its records.
RunSource = Union[str, Path, Sequence[dict]]


def plot_convergence(runs: Mapping[str, RunSource],
                     metric: str,
                     out_file: Union[str, Path],
                     title: Optional[str] = None,
                     x: str = 'epoch',
                     ylabel: Optional[str] = None,
                     dpi: int = 120,
                     xlabel: Optional[str] = None,
                     scale: float = 1.) -> str:
    """Draw ``metric`` against the epoch, one labelled line per run, and save it.

    Args:
        runs (Mapping[str, str | Path | list]): ``{label: run}``, where a run is a work dir
            written with ``ConvergenceRecorderHook`` (or its ``convergence.json``), or the
            records themselves (as :func:`~hsjp_mmpose.engine.convergence.
            load_convergence` returns them). Lines are drawn in the mapping's order.
        metric (str): The metric, e.g. ``'coco/AP'``.
        out_file (str | Path): The image to write (``.png``, ``.pdf``, ``.svg``, ...);
            parent folders are created.
        title (str, optional): Defaults to ``'<metric> per epoch'``.
        x (str): The x axis: ``'epoch'`` (default), ``'iter'`` or ``'elapsed_s'``.
        ylabel (str, optional): Defaults to the metric's name.
        dpi (int): Resolution of raster images. Defaults to 120.
        xlabel (str, optional): Defaults to the name of ``x``.
        scale (float): Factor on the values (100 draws AP as percent). Defaults to 1.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: When ``runs`` is empty.
        FileNotFoundError: When a work dir has no ``convergence.json`` (the message names
            it and says how to record one).
        KeyError: When a run has no value of ``metric`` (the message names the run and the
            metrics it has).
    """
    return plot_convergence_panels(
        [dict(runs=runs, metric=metric, title=title, ylabel=ylabel, xlabel=xlabel,
              scale=scale)], out_file, x=x, dpi=dpi)


def plot_convergence_panels(panels: Sequence[Dict],
                            out_file: Union[str, Path],
                            x: str = 'epoch',
                            dpi: int = 120) -> str:
    """Several :func:`plot_convergence` figures side by side in one image (e.g. one
    downstream task per panel).

    Args:
        panels (Sequence[dict]): One dict per panel with the keys ``runs`` and ``metric``
            and, optionally, ``title``, ``ylabel``, ``xlabel`` and ``scale`` (as
            :func:`plot_convergence` takes them).
        out_file (str | Path): The image to write; parent folders are created.
        x (str): The x axis of every panel. Defaults to ``'epoch'``.
        dpi (int): Resolution of raster images. Defaults to 120.

    Returns:
        str: ``out_file``.
    """
    if not panels:
        raise ValueError('plot_convergence_panels needs at least one panel')
    if x not in ('epoch', 'iter', 'elapsed_s'):
        raise ValueError(f"x must be 'epoch', 'iter' or 'elapsed_s', got {x!r}")
    drawn = []
    for panel in panels:
        unknown = set(panel) - {'runs', 'metric', 'title', 'ylabel', 'xlabel', 'scale'}
        if unknown:
            raise ValueError(f'unknown panel keys {sorted(unknown)}')
        runs, metric = panel['runs'], panel['metric']
        if not runs:
            raise ValueError('plot_convergence needs at least one run')
        scale = panel.get('scale') or 1.
        curves = []
        for label, run in runs.items():
            records = load_convergence(run) if isinstance(run, (str, Path)) else list(run)
            try:
                xs, values = metric_curve(records, metric, x=x)
            except KeyError as error:
                raise KeyError(f'run {label!r}: {error.args[0]}') from None
            curves.append((str(label), xs, [scale * v for v in values]))
        drawn.append((panel, curves))

    # The Agg canvas, without pyplot: no global backend switch, no GUI.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    size = (6.4, 4.2) if len(drawn) == 1 else (5.5 * len(drawn), 4.2)
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(drawn), squeeze=False)[0]
    for ax, (panel, curves) in zip(axes, drawn):
        metric = panel['metric']
        for label, xs, values in curves:
            ax.plot(xs, values, marker='o' if len(xs) <= 40 else None, markersize=3,
                    linewidth=1.5, label=label)
        ax.set_xlabel(panel.get('xlabel') or _X_LABELS[x])
        ax.set_ylabel(panel.get('ylabel') or metric)
        ax.set_title(panel.get('title') or f'{metric} per {"epoch" if x == "epoch" else x}')
        ax.grid(True, alpha=0.3)
        ax.legend(loc='best', fontsize='small')
    fig.tight_layout()
    out_file = str(out_file)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=dpi)
    return out_file


_X_LABELS = {'epoch': 'epoch', 'iter': 'iteration', 'elapsed_s': 'training time (s)'}
