#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Train the small location-free configs and HeatmapHead baselines at equal budgets; print
AP, PCK, left/right accuracy and distinct peak places.

    python tools/benchmark_location_free.py --work-dir work_dirs/locfree_benchmark

Generates the people, trains and tests the six arms one after the other through mim
train / mim test, and writes WORK_DIR/results.md (a second run resumes).
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.location_free import CONFIG_DIR, run_benchmark  # noqa: E402
from hsjp_mmpose.synthetic.levels import DATA_LEVELS  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/locfree_benchmark',
                        help='output folder (data, runs, logs, results.md)')
    parser.add_argument('--num-train', type=int, default=2000, help='images to generate')
    parser.add_argument('--num-val', type=int, default=300, help='images to generate')
    parser.add_argument('--level', default='easy', choices=sorted(DATA_LEVELS),
                        help='difficulty of the generated people (default easy)')
    parser.add_argument('--epochs', type=int, default=None,
                        help="epochs per arm (default: the configs' own)")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--config-dir', default=str(CONFIG_DIR),
                        help='folder of the location_free configs')
    args = parser.parse_args(argv)
    for name in ('num_train', 'num_val'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.epochs is not None and args.epochs < 1:
        parser.error(f'--epochs must be >= 1, got {args.epochs}')
    if not Path(args.config_dir).is_dir():
        parser.error(f'--config-dir {args.config_dir} is not a folder')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        run_benchmark(args.work_dir, num_train=args.num_train, num_val=args.num_val,
                      epochs=args.epochs, seed=args.seed, level=args.level,
                      config_dir=Path(args.config_dir))
    except KeyboardInterrupt:
        print('\nbenchmark stopped; run the same command again to resume', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
