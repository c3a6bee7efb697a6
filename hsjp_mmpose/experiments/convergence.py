# Copyright (c) hsjp-mmpose contributors.
"""Convergence curves of the experiments: :mod:`hsjp_mmpose.engine.convergence`, re-exported.

The reader of ``convergence.json`` lives beside the hook that writes it
(:class:`~hsjp_mmpose.engine.hooks.ConvergenceRecorderHook`), so that importing the plugin
does not load the experiment runner; the names stay importable from here.
"""
from hsjp_mmpose.engine.convergence import (CONVERGENCE_FILE, HOW_TO_RECORD,  # noqa: F401
                                            epochs_to_fraction, load_convergence,
                                            metric_curve)

__all__ = ['CONVERGENCE_FILE', 'HOW_TO_RECORD', 'load_convergence', 'metric_curve',
           'epochs_to_fraction']
