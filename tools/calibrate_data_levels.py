#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Calibrate the generated people's difficulty levels, one factor at a time.

    python tools/calibrate_data_levels.py --work-dir work_dirs/calibrate_levels

Each row: a data set (easy plus one factor of hard), scratch training of the small network
with the same budget, COCO AP and PCK@0.2 by mim test. Resumes a half-finished table.
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.calibration import calibrate  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/calibrate_levels')
    p.add_argument('--num-train', type=int, default=1000)
    p.add_argument('--num-val', type=int, default=300)
    p.add_argument('--num-labelled', type=int, default=400)
    p.add_argument('--epochs', type=int, default=30)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    for name in ('num_train', 'num_val', 'num_labelled', 'epochs'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    try:
        return calibrate(args.work_dir, num_train=args.num_train, num_val=args.num_val,
                         num_labelled=args.num_labelled, epochs=args.epochs, seed=args.seed)
    except ValueError as err:  # e.g. fewer labelled people than --num-labelled
        print(f'error: {str(err).replace("num_labelled", "--num-labelled")}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print('\nstopped; run the same command again to resume', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
