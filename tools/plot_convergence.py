#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Plot the convergence curves (one metric per epoch) of training runs in one figure.

    python tools/plot_convergence.py WORK_DIR [WORK_DIR ...] --metric coco/AP \\
        --labels hsjp scratch --out curves.png

Each work dir must hold the convergence.json that ConvergenceRecorderHook writes.
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

from hsjp_mmpose.experiments.convergence import epochs_to_fraction, load_convergence
from hsjp_mmpose.visualization.curves import plot_convergence


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs with convergence.json')
    parser.add_argument('--metric', required=True, help='metric to plot, e.g. coco/AP')
    parser.add_argument('--labels', nargs='+', help='one label per work dir '
                        '(default: the work dirs\' folder names)')
    parser.add_argument('--out', default='convergence.png', help='image to write')
    parser.add_argument('--x', default='epoch', choices=('epoch', 'iter', 'elapsed_s'),
                        help='x axis (default: epoch)')
    parser.add_argument('--title', help='figure title (default: "<metric> per epoch")')
    parser.add_argument('--lower-is-better', action='store_true',
                        help='the metric decreases as the model improves (MPJPE)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    labels = args.labels or [Path(d).resolve().name for d in args.work_dirs]
    if len(labels) != len(args.work_dirs):
        print(f'error: {len(labels)} labels for {len(args.work_dirs)} work dirs',
              file=sys.stderr)
        return 2
    if len(set(labels)) != len(labels):
        print(f'error: labels must differ, got {labels}', file=sys.stderr)
        return 2
    try:
        runs = {label: load_convergence(d) for label, d in zip(labels, args.work_dirs)}
        out = plot_convergence(runs, args.metric, args.out, title=args.title, x=args.x)
    except (FileNotFoundError, KeyError, ValueError) as error:
        message = error.args[0] if error.args else str(error)
        print(f'error: {message}', file=sys.stderr)
        return 2
    print(f'wrote {out}')
    for label, records in runs.items():
        epoch = epochs_to_fraction(records, args.metric,
                                   higher_is_better=not args.lower_is_better)
        print(f'{label}: first epoch within 90% of its best {args.metric}: {epoch}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
