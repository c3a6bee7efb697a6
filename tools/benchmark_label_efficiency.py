#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""What pretraining is worth in labels: every source fine-tuned to a plateau at several
label budgets, for 2D (COCO AP; PCK@0.2 of the torso on LSP Extended) and 3D (MPJPE) pose.

    python tools/benchmark_label_efficiency.py --work-dir work_dirs/label_efficiency
    python tools/benchmark_label_efficiency.py --quick --work-dir work_dirs/le_quick
    python tools/benchmark_label_efficiency.py --dataset lsp-extended \
        --data-root /data/lspet_dataset --work-dir work_dirs/le_lsp

On LSP Extended (real photos): sources scratch, HSJP and jigsaw classification on the
8,000 unlabelled training crops, HSJP and 2D keypoints on generated people; budgets
N = 50, 200, 1000, 8000 (the other sources at 50 and 200); the plateau judged on the mean of 3
validations; scratch also trained on to twice HSJP's total compute; each arm's best
checkpoint scored on the test split.

Sources: scratch, HSJP, jigsaw classification, 2D keypoints; each pretrains once (add HSJP
sources with other puzzles with --hsjp-recipes, e.g. 4x3:4 2x2:0). Budgets:
N = 50, 200, 800 labelled people (2D) and 200 (3D) by default. Every arm trains until its
validation score stops improving (the plateau rule is printed) and reports its best
validated score, the iteration it was reached at and its curve. Writes WORK_DIR/results.md,
results.json and label_efficiency.png (score vs N on a log axis, labels saved, the compute of
every arm, an equal-total-compute scratch point per N). A second run with the same work dir
resumes; Ctrl-C / SIGTERM stop every child process.
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
from hsjp_mmpose.experiments.label_efficiency import (QUICK,  # noqa: E402
                                                      LabelEfficiencyBenchmark,
                                                      LabelEfficiencySettings, check_settings)
from hsjp_mmpose.experiments.pretraining import SOURCE_NAMES, TASK_NAMES  # noqa: E402
from hsjp_mmpose.synthetic.levels import DATA_LEVELS  # noqa: E402

_INTS = (('num_train', 'downstream training images'), ('num_val', 'validation images'),
         ('num_source', 'images of the labelled 2D source set'),
         ('pretrain_epochs', 'epochs of every pretraining source'),
         ('val_every', 'fine-tuning iterations between validations (rounded to epochs)'),
         ('patience', 'validations without improvement that stop an arm'),
         ('window', 'validations the plateau rule averages'),
         ('max_iters', 'cap of fine-tuning iterations per arm'), ('seed', 'seed'))


def parse_args(argv=None) -> argparse.Namespace:
    defaults = LabelEfficiencySettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/label_efficiency',
                        help='output folder (data, runs, logs, results.md, the PNG)')
    add_data_source_args(parser)
    parser.add_argument('--quick', action='store_true',
                        help='a smoke run of every step (about 15 minutes on 2 cores): '
                        + ', '.join(f'{k}={v}' for k, v in QUICK.items() if k != 'quick')
                        + '; explicit options below still win')
    parser.add_argument('--sources', nargs='+', default=None, metavar='SOURCE',
                        help=f'from {list(SOURCE_NAMES)} (default all; scratch is needed)')
    parser.add_argument('--tasks', nargs='+', default=None, metavar='TASK',
                        help=f'from {list(TASK_NAMES)} (default both)')
    parser.add_argument('--budgets', nargs='+', type=int, default=None, metavar='N',
                        help=f'labelled people of the 2D arms (default {list(defaults.budgets)})')
    parser.add_argument('--budgets-3d', nargs='+', type=int, default=None, metavar='N',
                        help='labelled people of the 3D arms (default '
                        f'{list(defaults.budgets_3d)})')
    parser.add_argument('--level', dest='data_level', default=None, choices=sorted(DATA_LEVELS),
                        help=f'difficulty of the generated people (default {defaults.data_level})')
    for name, text in _INTS:
        parser.add_argument('--' + name.replace('_', '-'), type=int, default=None,
                            help=f'{text} (default {getattr(defaults, name)})')
    parser.add_argument('--min-delta-ap', type=float, default=None,
                        help='least gain of the 2D metric (AP, PCK as fractions) that counts '
                        f'(default {defaults.min_delta_ap})')
    parser.add_argument('--min-delta-mm', type=float, default=None,
                        help=f'least MPJPE gain (mm) that counts (default {defaults.min_delta_mm})')
    parser.add_argument('--hsjp-recipes', nargs='+', default=None, metavar='RxC:J[:E]',
                        help='extra HSJP sources with other puzzles, to choose the recipe by '
                        'transfer: grid rows x columns, patch jitter (px) and optionally '
                        "pretraining epochs, e.g. '4x3:4' '2x2:0' '4x3:4:24' (default none)")
    parser.add_argument('--source-budgets', nargs='+', type=int, default=None, metavar='N',
                        help='budgets at which the sources other than scratch and hsjp run '
                        '(default every budget; lsp-extended: 50 200)')
    parser.add_argument('--long-scratch-factor', type=float, default=None,
                        help='the long scratch arm trains this many times the total compute '
                        'of --long-scratch-reference (default 1; lsp-extended: 2)')
    parser.add_argument('--long-scratch-reference', default=None, metavar='SOURCE',
                        help='default: the most expensive source (lsp-extended: hsjp)')
    parser.add_argument('--long-scratch-budgets', nargs='+', type=int, default=None,
                        metavar='N', help='budgets with a long scratch arm (default every '
                        'budget; lsp-extended: 50 200)')
    parser.add_argument('--val-people', type=int, default=None,
                        help='validate on the first N people of the val split (default all)')
    parser.add_argument('--test-people', type=int, default=None,
                        help='test on the first N people of the test split (default all)')
    parser.add_argument('--pretrain-people', type=int, default=None,
                        help='pretrain on the first N crops of each source\'s data (default all)')
    parser.add_argument('--no-equal-compute', dest='equal_compute', action='store_false',
                        default=None, help='skip the long (equal-total-compute) scratch arms')
    args = parser.parse_args(argv)
    try:
        check_settings(settings_from_args(args))
    except ValueError as err:
        parser.error(str(err))
    return args


def settings_from_args(args: argparse.Namespace) -> LabelEfficiencySettings:
    """The defaults, the data set's, then ``--quick``'s, then every option given
    explicitly."""
    names = {f.name for f in fields(LabelEfficiencySettings)}
    values = {key: tuple(value) if isinstance(value, list) else value
              for key, value in vars(args).items()
              if key in names and value is not None and key != 'quick'}
    return LabelEfficiencySettings.for_dataset(quick=args.quick, **values)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        LabelEfficiencyBenchmark(args.work_dir, settings_from_args(args)).run()
    except KeyboardInterrupt:
        print('\nbenchmark stopped; run the same command again to resume', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
