#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Train the small location-free configs and a HeatmapHead at equal budgets; print AP.

    python tools/benchmark_location_free.py --work-dir work_dirs/locfree_benchmark

Generates the people (unless --data-root), trains the four arms one after the other and
writes the Markdown table to WORK_DIR/results.md.
"""
import argparse

import torch

from hsjp_mmpose.benchmark.location_free import CONFIG_DIR, run_benchmark


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/locfree_benchmark',
                        help='output folder (data, checkpoints, logs, results.md)')
    parser.add_argument('--data-root', default=None,
                        help='an existing generated COCO-style data set; generated if absent')
    parser.add_argument('--num-train', type=int, default=1000, help='images to generate')
    parser.add_argument('--num-val', type=int, default=200, help='images to generate')
    parser.add_argument('--epochs', type=int, default=None,
                        help="epochs per arm (default: the configs' own)")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-workers', type=int, default=1, help='data loader workers')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (1: on 2 cores shared with a data worker, '
                        'more threads spin-wait and ran 10x slower)')
    parser.add_argument('--config-dir', default=str(CONFIG_DIR),
                        help='folder of the location_free configs')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    run_benchmark(args.work_dir, data_root=args.data_root, num_train=args.num_train,
                  num_val=args.num_val, epochs=args.epochs, seed=args.seed,
                  config_dir=args.config_dir, num_workers=args.num_workers)


if __name__ == '__main__':
    main()
