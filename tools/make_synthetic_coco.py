# Copyright (c) hsjp-mmpose contributors.
"""Generate the synthetic-people COCO keypoint data set.

Example::

    python tools/make_synthetic_coco.py --out data/synthetic --num-train 3000 --num-val 300

writes ``images/{train,val}/*.jpg`` and ``annotations/person_keypoints_{train,val}.json``
under ``--out`` (see :mod:`hsjp_mmpose.synthetic` for the format).

    python tools/make_synthetic_coco.py --preview sheet.png --level medium --yaws 0 90 180

writes a contact sheet instead: people cropped as the network sees them (128x96), bare and
with their keypoints (the person's left blue, right red), one row per seed, one
column per turn away from the camera (see :mod:`hsjp_mmpose.synthetic.preview`).
"""
import argparse
import sys
from pathlib import Path
from typing import Union

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.synthetic import generate_synthetic_coco  # noqa: E402
from hsjp_mmpose.synthetic.levels import (DATA_LEVELS,  # noqa: E402
                                          parse_level_overrides)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', help='output folder (created if missing)')
    parser.add_argument('--num-train', type=int, help='training images')
    parser.add_argument('--num-val', type=int, help='validation images')
    parser.add_argument('--preview', metavar='PNG',
                        help='write a contact sheet of the level\'s people to PNG instead')
    parser.add_argument('--yaws', type=float, nargs='+', default=[0., 90., 180.],
                        help='with --preview: the turns away from the camera, degrees')
    parser.add_argument('--rows', type=int, default=4,
                        help='with --preview: how many people (seeds --seed, --seed + 1, ...)')
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


def preview(parser, args) -> Path:
    import cv2

    from hsjp_mmpose.synthetic.preview import contact_sheet
    try:
        level = dict(parse_level_overrides(args.level_options), base=args.level)
        sheet = contact_sheet(level, seeds=range(args.seed, args.seed + args.rows),
                              yaws=args.yaws, title=args.level)
    except ValueError as err:
        parser.error(str(err))
    out = Path(args.preview)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), sheet):
        parser.error(f'--preview {out}: could not write the PNG there')
    print(f'contact sheet ({args.rows} people x yaws {args.yaws}) -> {out}')
    return out


def main(argv=None) -> Union[dict, Path]:
    """Write the data set and return its summary, or with ``--preview`` the sheet's path."""
    parser, args = parse_args(argv)
    if args.preview:
        return preview(parser, args)
    missing = [f'--{n}' for n in ('out', 'num-train', 'num-val')
               if getattr(args, n.replace('-', '_')) is None]
    if missing:
        parser.error(f'{", ".join(missing)} required (or --preview PNG)')
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
    try:
        main()
    except KeyboardInterrupt:
        # the pool's workers are already gone (generate_synthetic_coco terminates them)
        print('interrupted: the images written so far stay; no annotation file was written '
              'for an unfinished split', file=sys.stderr)
        sys.exit(130)
