# Copyright (c) hsjp-mmpose contributors.
"""Experiments as lists of arms (config + overrides) run through ``mim train`` / ``mim test``.

One home for every experiment: the runner (:mod:`.runner`), the overrides
(:mod:`.options`), the per-epoch records (:mod:`.convergence`), the report format
(:mod:`.report`; the plot is :func:`hsjp_mmpose.visualization.curves.plot_convergence`),
and the experiments on top of them: :mod:`.quickstart`, :mod:`.pretraining`,
:mod:`.location_free`, :mod:`.label_efficiency`, :mod:`.calibration`, :mod:`.real_people`,
:mod:`.speed`. Every ``mim`` child runs under :mod:`.watchdog` (it ends when its parent
does) with the malloc settings of :mod:`.allocator`.
"""
from .convergence import epochs_to_fraction, load_convergence, metric_curve
from .options import (coco_data_root_options, finetune_options, init_options, jigsaw_options,
                      pipeline_index, schedule_options, transform_options)
from .report import format_ap, markdown_table, write_report
from .runner import Arm, ExperimentRunner, parse_test_metrics, same_arm, training_set_size

__all__ = ['Arm', 'ExperimentRunner', 'parse_test_metrics', 'same_arm', 'training_set_size',
           'coco_data_root_options', 'finetune_options', 'init_options', 'jigsaw_options',
           'pipeline_index', 'schedule_options', 'transform_options', 'format_ap',
           'markdown_table', 'write_report', 'epochs_to_fraction', 'load_convergence',
           'metric_curve']
