# Copyright (c) hsjp-mmpose contributors.
"""Experiments as lists of arms (config + overrides) run through ``mim train`` / ``mim test``."""
from .runner import (Arm, ExperimentRunner, format_ap, parse_test_metrics, pipeline_index,
                     read_val_scalars, transform_options)

__all__ = ['Arm', 'ExperimentRunner', 'format_ap', 'parse_test_metrics', 'pipeline_index',
           'read_val_scalars', 'transform_options']
from .convergence import epochs_to_fraction, load_convergence, metric_curve  # noqa: F401
