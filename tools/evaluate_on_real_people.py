#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Evaluate a pose model on real people: PCK@0.2 of the torso on the shared limb joints.

    python tools/evaluate_on_real_people.py CONFIG CHECKPOINT --real-root DIR \\
        --work-dir work_dirs/real_people [--sets ochuman crowdpose mpii coco] \\
        [--dataset lsp-extended --data-root LSP_DIR]

``--real-root DIR`` holds ``ochuman/test_ochuman.json`` (COCO-17),
``crowdpose/test_crowdpose.json`` (14 keypoints), ``mpii/test_mpii.json`` (16 joints,
MMPose's json) and ``coco/test_coco.json`` with their images (MMPose's test data has this
layout). Each set is read by MMPose's own dataset class and moved to the model's keypoint
layout (COCO-17 or LSP's 14 joints, read from CONFIG) by MMPose's KeypointConverter, on the
12 limb joints every layout shares; scored with TorsoPCKAccuracy (tPCK, and PCK of the box),
per set and pooled. ``--dataset lsp-extended --data-root LSP_DIR`` (the published LSP
Extended folder) also scores the model on that source's test split, converted once into the
work dir. The table goes to ``<work-dir>/results.md`` (see
hsjp_mmpose/experiments/real_people.py).
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.data_sources import (add_data_source_args,  # noqa: E402
                                                  data_source_from_args)
from hsjp_mmpose.experiments.real_people import (REAL_SETS,  # noqa: E402
                                                 evaluate_on_real_people)


def _holds_real_sets(folder) -> bool:
    return bool(folder) and any((Path(folder) / s.folder / s.ann_file).is_file()
                                for s in REAL_SETS.values())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='the model config (a top-down pose model, COCO-17 or LSP)')
    p.add_argument('checkpoint', help='the trained checkpoint')
    p.add_argument('--real-root', required=True,
                   help='folder holding ochuman/, crowdpose/, mpii/, coco/ (see above)')
    p.add_argument('--sets', nargs='+', default=list(REAL_SETS), choices=list(REAL_SETS),
                   help='which real sets (default: all)')
    p.add_argument('--work-dir', default='work_dirs/real_people',
                   help='test runs, a converted data source and results.md go here')
    add_data_source_args(p)
    args = p.parse_args(argv)
    if args.dataset == 'generated' and _holds_real_sets(args.data_root):
        p.error(f'--data-root {args.data_root} holds the real test sets: pass it as '
                '--real-root (--data-root is the data source\'s folder, e.g. --dataset '
                'lsp-extended --data-root LSP_DIR)')
    try:
        source = data_source_from_args(args)
        if args.dataset != 'generated':
            source.check()
        return evaluate_on_real_people(args.config, args.checkpoint, args.real_root,
                                       args.work_dir, names=args.sets,
                                       source=source if source.real_photos else None)
    except (FileNotFoundError, ValueError) as err:  # LspDataError is a ValueError
        p.error(str(err))


if __name__ == '__main__':
    main()
