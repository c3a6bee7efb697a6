# Copyright (c) hsjp-mmpose contributors.
"""Generate the synthetic-people COCO keypoint data set.

Example::

    python tools/make_synthetic_coco.py --out data/synthetic --num-train 3000 --num-val 300

writes ``images/{train,val}/*.jpg`` and ``annotations/person_keypoints_{train,val}.json``
under ``--out`` (see :mod:`hsjp_mmpose.datasets.synthetic` for the format).
"""
import argparse
import sys
from pathlib import Path

try:
    from hsjp_mmpose.datasets.synthetic import generate_synthetic_coco
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from hsjp_mmpose.datasets.synthetic import generate_synthetic_coco


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
    parser.add_argument('--clutter', type=float, default=1.,
                        help='background clutter and occluders, 0 (none) to 2 (default 1)')
    return parser, parser.parse_args(argv)


def main(argv=None) -> dict:
    parser, args = parse_args(argv)
    try:
        summary = generate_synthetic_coco(args.out, args.num_train, args.num_val, seed=args.seed,
                                          image_size=tuple(args.image_size),
                                          workers=args.workers, clutter=args.clutter)
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
