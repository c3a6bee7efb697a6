#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Compare pretraining sources on 2D pose with few labels and 3D pose; table and curves.

    python tools/benchmark_pretraining.py --work-dir work_dirs/pretraining_benchmark
    python tools/benchmark_pretraining.py --dataset lsp-extended --data-root DIR \
        --work-dir work_dirs/pretraining_lsp

Sources: scratch, HSJP, classic jigsaw classification, 2D-keypoint pretraining on another
labelled set of generated people (ImageNet: configs only); on LSP Extended also HSJP on
generated people. Each pretrains the same small network for the same
epochs; each downstream task fine-tunes it the same way. Every arm runs through mim train /
mim test and records its validation metrics per epoch (convergence.json). Writes
WORK_DIR/results.md, results.json and convergence.png; a second run resumes.
"""
import argparse
import sys
from dataclasses import fields
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.data_sources import add_data_source_args  # noqa: E402
from hsjp_mmpose.experiments.pretraining import (SOURCE_NAMES, TASK_NAMES,  # noqa: E402
                                               PretrainingBenchmark,
                                               PretrainingBenchmarkSettings, check_settings)
from hsjp_mmpose.synthetic.levels import DATA_LEVELS  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    defaults = PretrainingBenchmarkSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/pretraining_benchmark',
                        help='output folder (data, runs, logs, results.md, convergence.png)')
    add_data_source_args(parser)
    parser.add_argument('--sources', nargs='+', default=None,
                        metavar='SOURCE', help=f'from {list(SOURCE_NAMES)} (default: all of '
                        'the data set\'s)')
    parser.add_argument('--tasks', nargs='+', default=None, metavar='TASK',
                        help=f'from {list(TASK_NAMES)} (default: all of the data set\'s)')
    parser.add_argument('--level', dest='data_level', default=None,
                        choices=sorted(DATA_LEVELS), help='difficulty of the generated people')
    for name, text in (('num_train', 'downstream training images'),
                       ('num_val', 'validation images'),
                       ('num_source', 'images of the labelled 2D source set'),
                       ('num_labelled', 'labelled people per downstream task'),
                       ('pretrain_epochs', 'epochs of every pretraining source'),
                       ('finetune_epochs', 'fine-tuning epochs of every arm'),
                       ('val_interval', 'fine-tuning epochs between validations'),
                       ('seed', 'seed')):
        lsp = PretrainingBenchmarkSettings.DATASET_DEFAULTS['lsp-extended']
        parser.add_argument('--' + name.replace('_', '-'), type=int, default=None,
                            help=f'{text} (default {getattr(defaults, name)}'
                            + (f'; lsp-extended: {lsp[name]})' if name in lsp else ')'))
    parser.add_argument('--fraction', type=float, default=None,
                        help='convergence target as a fraction of the best final score '
                        f'(default {defaults.fraction})')
    args = parser.parse_args(argv)
    try:
        check_settings(settings_from_args(args))
    except ValueError as err:
        parser.error(str(err))
    return args


def settings_from_args(args: argparse.Namespace) -> PretrainingBenchmarkSettings:
    """The defaults, the data set's, then every option given explicitly."""
    names = {f.name for f in fields(PretrainingBenchmarkSettings)}
    return PretrainingBenchmarkSettings.for_dataset(
        **{k: (tuple(v) if isinstance(v, list) else v)
           for k, v in vars(args).items() if k in names and v is not None})


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        PretrainingBenchmark(args.work_dir, settings_from_args(args)).run()
    except ValueError as err:  # a setting the generated data cannot meet, before training
        print(f'benchmark_pretraining: error: {err}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print('\nbenchmark stopped; run the same command again to resume', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
