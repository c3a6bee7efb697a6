#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Calibrate the generated people's difficulty levels, one factor at a time.

    python tools/calibrate_data_levels.py --work-dir work_dirs/calibrate_levels \\
        [--dataset lsp-extended --data-root LSP_DIR]

Each row: a data set (easy plus one factor of hard), scratch training of the small network
with the same budget, COCO AP and PCK@0.2 by mim test on the row's own val split and on one
common split: a hard-level generated val split (default), or with ``--dataset lsp-extended
--data-root LSP_DIR`` the LSP Extended val split (real photos), scored on the 12 limb joints
through MMPose's KeypointConverter (PCK@0.2 of the torso and of the box). Resumes a
half-finished table.
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.calibration import calibrate  # noqa: E402
from hsjp_mmpose.experiments.data_sources import add_data_source_args  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/calibrate_levels')
    p.add_argument('--num-train', type=int, default=1000)
    p.add_argument('--num-val', type=int, default=300)
    p.add_argument('--num-labelled', type=int, default=400)
    p.add_argument('--epochs', type=int, default=30)
    p.add_argument('--seed', type=int, default=0)
    add_data_source_args(p)  # the source of the common split
    args = p.parse_args(argv)
    for name in ('num_train', 'num_val', 'num_labelled', 'epochs'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    try:
        return calibrate(args.work_dir, num_train=args.num_train, num_val=args.num_val,
                         num_labelled=args.num_labelled, epochs=args.epochs, seed=args.seed,
                         dataset=args.dataset, data_root=args.data_root)
    except ValueError as err:  # e.g. fewer labelled people than --num-labelled, or a
        # --data-root that is not the published LSP Extended (LspDataError)
        print(f'error: {str(err).replace("num_labelled", "--num-labelled")}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print('\nstopped; run the same command again to resume', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
