#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Train the small location-free configs and HeatmapHead baselines at equal budgets; print
the source's metric, AP, PCK, left/right accuracy and distinct peak places.

    python tools/benchmark_location_free.py --work-dir work_dirs/locfree_benchmark
    python tools/benchmark_location_free.py --dataset lsp-extended --data-root DIR \\
        --work-dir work_dirs/locfree_lsp

Generates the people (or converts LSP Extended once), trains and tests every arm one after
the other through mim train / mim test (on photos, after an HSJP pretraining of the
unlabelled training crops for the HSJP-initialised arm), and writes WORK_DIR/results.md
(a second run resumes).
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.data_sources import add_data_source_args  # noqa: E402
from hsjp_mmpose.experiments.location_free import run_benchmark  # noqa: E402
from hsjp_mmpose.synthetic.levels import DATA_LEVELS  # noqa: E402

#: LSP Extended: the first 2,000 of the 8,000 training people keep the benchmark within
#: 45 minutes on 2 cores
LSP_NUM_PEOPLE = 2000


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/locfree_benchmark',
                        help='output folder (data, runs, logs, results.md)')
    add_data_source_args(parser)
    parser.add_argument('--num-train', type=int, default=2000,
                        help='generated training images (default 2000)')
    parser.add_argument('--num-val', type=int, default=300,
                        help='generated validation images (default 300)')
    parser.add_argument('--level', default='easy', choices=sorted(DATA_LEVELS),
                        help='difficulty of the generated people (default easy)')
    parser.add_argument('--num-people', type=int, default=None,
                        help='train every arm on the first N people of the training split '
                        f'(default: all; lsp-extended: {LSP_NUM_PEOPLE})')
    parser.add_argument('--epochs', type=int, default=None,
                        help="epochs per arm (default: the configs' own)")
    parser.add_argument('--pretrain-epochs', type=int, default=3,
                        help='HSJP pretraining epochs of the HSJP-initialised arm (default 3)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for name in ('num_train', 'num_val', 'pretrain_epochs'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    for name in ('epochs', 'num_people'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    if args.num_people is None and args.dataset == 'lsp-extended':
        args.num_people = LSP_NUM_PEOPLE
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        run_benchmark(args.work_dir, num_train=args.num_train, num_val=args.num_val,
                      epochs=args.epochs, seed=args.seed, level=args.level,
                      dataset=args.dataset, data_root=args.data_root,
                      num_people=args.num_people, pretrain_epochs=args.pretrain_epochs)
    except ValueError as err:  # a setting or a data folder refused before training
        print(f'benchmark_location_free: error: {err}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print('\nbenchmark stopped; run the same command again to resume', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
