#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Compare pretraining sources on 2D pose with few labels and 3D pose; table and curves.

    python tools/benchmark_pretraining.py --work-dir work_dirs/pretraining_benchmark

Sources: scratch, HSJP, classic jigsaw classification, 2D-keypoint pretraining on another
labelled set (ImageNet: configs only). Each pretrains the same small network for the same
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
from hsjp_mmpose.experiments.pretraining import (SOURCE_NAMES, TASK_NAMES,  # noqa: E402
                                               PretrainingBenchmark,
                                               PretrainingBenchmarkSettings, check_settings)
from hsjp_mmpose.synthetic.levels import DATA_LEVELS  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    defaults = PretrainingBenchmarkSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/pretraining_benchmark',
                        help='output folder (data, runs, logs, results.md, convergence.png)')
    parser.add_argument('--sources', nargs='+', default=list(defaults.sources),
                        metavar='SOURCE', help=f'from {list(SOURCE_NAMES)} (default all)')
    parser.add_argument('--tasks', nargs='+', default=list(defaults.tasks), metavar='TASK',
                        help=f'from {list(TASK_NAMES)} (default both)')
    parser.add_argument('--level', dest='data_level', default=defaults.data_level,
                        choices=sorted(DATA_LEVELS), help='difficulty of the generated people')
    for name, text in (('num_train', 'downstream training images'),
                       ('num_val', 'validation images'),
                       ('num_source', 'images of the labelled 2D source set'),
                       ('num_labelled', 'labelled people per downstream task'),
                       ('pretrain_epochs', 'epochs of every pretraining source'),
                       ('finetune_epochs', 'fine-tuning epochs of every arm'),
                       ('val_interval', 'fine-tuning epochs between validations'),
                       ('seed', 'seed')):
        parser.add_argument('--' + name.replace('_', '-'), type=int,
                            default=getattr(defaults, name),
                            help=f'{text} (default {getattr(defaults, name)})')
    parser.add_argument('--fraction', type=float, default=defaults.fraction,
                        help='convergence target as a fraction of the best final score '
                        f'(default {defaults.fraction})')
    args = parser.parse_args(argv)
    try:
        check_settings(settings_from_args(args))
    except ValueError as err:
        parser.error(str(err))
    return args


def settings_from_args(args: argparse.Namespace) -> PretrainingBenchmarkSettings:
    names = {f.name for f in fields(PretrainingBenchmarkSettings)}
    return PretrainingBenchmarkSettings(
        **{k: (tuple(v) if isinstance(v, list) else v)
           for k, v in vars(args).items() if k in names})


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
