# Copyright (c) hsjp-mmpose contributors.
"""Generate the synthetic-people COCO keypoint data set.

Example::

    python tools/make_synthetic_coco.py --out data/synthetic --num-train 3000 --num-val 300

writes ``images/{train,val}/*.jpg`` and ``annotations/person_keypoints_{train,val}.json``
under ``--out`` (see :mod:`hsjp_mmpose.synthetic` for the format).
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.synthetic import generate_synthetic_coco  # noqa: E402
from hsjp_mmpose.synthetic.levels import (DATA_LEVELS,  # noqa: E402
                                                   parse_level_overrides)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='output folder (created if missing)')
    parser.add_argument('--num-train', type=int, required=True, help='training images')
    parser.add_argument('--num-val', type=int, required=True, help='validation images')
    parser.add_argument('--seed', type=int, default=0, help='same seed, same bytes (default 0)')
    parser.add_argument('--workers', type=int, default=None,
                        help='worker processes (default: one per CPU core, at most 8)')
    parser.add_argument('--image-size', type=int, nargs=2, default=(320, 256),
                        metavar=('W', 'H'), help='image width and height (default 320 256)')
    parser.add_argument('--level', default='hard', choices=sorted(DATA_LEVELS),
                        help='difficulty (default hard): easy for minutes-long CPU runs, hard '
                             'for long runs; see hsjp_mmpose/synthetic/levels.py')
    parser.add_argument('--set', dest='level_options', nargs='+', default=[],
                        metavar='NAME=VALUE',
                        help='change single factors of the level, e.g. --set occluders=1 '
                             'limb_distractors=true height_range=0.5,0.95')
    parser.add_argument('--clutter', type=float, default=None,
                        help='background clutter and occluders, 0 (none) to 2; overrides '
                             "the level's")
    return parser, parser.parse_args(argv)


def main(argv=None) -> dict:
    parser, args = parse_args(argv)
    try:
        level = dict(parse_level_overrides(args.level_options), base=args.level)
        summary = generate_synthetic_coco(args.out, args.num_train, args.num_val, seed=args.seed,
                                          image_size=tuple(args.image_size),
                                          workers=args.workers, clutter=args.clutter,
                                          level=level)
    except ValueError as err:
        parser.error(str(err).replace('num_train', '--num-train').replace(
            'num_val', '--num-val').replace('out_dir', '--out').replace(
            'image_size', '--image-size'))
    for split in ('train', 'val'):
        print(f'{split}: {summary["num_images"][split]} images, '
              f'{summary["num_people"][split]} people '
              f'({summary["num_hidden"][split]} fully hidden) -> {summary["ann_files"][split]}')
    print(f'{sum(summary["num_images"].values())} images in {summary["seconds"]:.1f} s '
          f'({summary["images_per_second"]:.1f} images/s, {summary["workers"]} workers)')
    return summary


if __name__ == '__main__':
    main()
