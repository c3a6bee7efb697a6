#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Speed ratios of the pipeline, codec, train step and mim train iteration, in one run.

Item 4 prints the bare train step, the data pipeline per batch and the ``mim train``
iteration, and the ratio iteration / (bare step + pipeline).

    python tools/benchmark_speed.py --work-dir work_dirs/benchmark_speed

See :mod:`hsjp_mmpose.experiments.speed` for the four items and their targets.
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.speed import run_speed_benchmark  # noqa: E402


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/benchmark_speed')
    p.add_argument('--samples', type=int, default=256, help='samples per pipeline pass')
    p.add_argument('--steps', type=int, default=10, help='timed train steps per model')
    p.add_argument('--epochs', type=int, default=6, help='epochs of the mim train run')
    args = p.parse_args(argv)
    results = run_speed_benchmark(args.work_dir, args.samples, args.steps, args.epochs,
                                  log=lambda msg: print(msg, flush=True))
    print(results['text'])
    return results


if __name__ == '__main__':
    main()
