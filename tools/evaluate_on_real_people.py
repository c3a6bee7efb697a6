#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Evaluate a pose model on real people: PCK@0.2 and COCO AP on ground-truth boxes.

    python tools/evaluate_on_real_people.py CONFIG CHECKPOINT --data-root DIR \\
        --work-dir work_dirs/real_people [--sets ochuman crowdpose mpii coco]

``DIR`` holds ``ochuman/test_ochuman.json`` (COCO-17), ``crowdpose/test_crowdpose.json``
(14 keypoints), ``mpii/test_mpii.json`` (16 joints, MMPose's json) and
``coco/test_coco.json`` with their images (MMPose's test data has this layout). Each set
is converted to COCO-17 (keypoints without a COCO counterpart unlabelled) and scored with
MMPose's CocoMetric and PCKAccuracy, per set and pooled; the table goes to
``<work-dir>/results.md`` (see hsjp_mmpose/experiments/real_people.py).
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.real_people import (REAL_SETS,  # noqa: E402
                                                 evaluate_on_real_people)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='the model config (a top-down COCO-17 pose model)')
    p.add_argument('checkpoint', help='the trained checkpoint')
    p.add_argument('--data-root', required=True,
                   help='folder holding ochuman/, crowdpose/, mpii/, coco/ (see above)')
    p.add_argument('--work-dir', default='work_dirs/real_people',
                   help='converted annotations, predictions and results.md go here')
    p.add_argument('--sets', nargs='+', default=list(REAL_SETS), choices=list(REAL_SETS),
                   help='which real sets (default: all)')
    args = p.parse_args(argv)
    try:
        return evaluate_on_real_people(args.config, args.checkpoint, args.data_root,
                                       args.work_dir, names=args.sets)
    except (FileNotFoundError, ValueError) as err:
        p.error(str(err))


if __name__ == '__main__':
    main()
