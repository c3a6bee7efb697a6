# Copyright (c) hsjp-mmpose contributors.
"""Convert Leeds Sports Pose (Extended), as published, to COCO-style keypoint files.

Usage::

    python tools/dataset_converters/lsp2coco.py --data-root PUBLISHED_FOLDER \\
        --out-dir data/lsp_extended [--margin 0.1] [--no-link-images]

``PUBLISHED_FOLDER`` is the folder of the authors' archive: ``joints.mat`` and
``images/`` (LSP Extended: ``joints`` 14 x 3 x 10000, ``images/im00001.jpg`` ...; the
original LSP, 3 x 14 x 2000 with ``images/im0001.jpg`` ..., is recognised by its shape).
The result, the layout ``configs/_base_/td-hm_res18-half_1xb32_lsp-128x128.py`` reads::

    data/lsp_extended/
    ├── annotations/
    │   ├── lspet_train.json     images 1-8000     (LSP: lsp_train.json, 1-1000)
    │   ├── lspet_val.json       images 8001-9000
    │   └── lspet_test.json      images 9001-10000 (LSP: lsp_test.json, 1001-2000)
    ├── images -> PUBLISHED_FOLDER/images   (a symbolic link; none with --no-link-images)
    └── conversion.json          what was converted, with which settings

COCO visibility: 2 visible, 1 not visible but inside the image, 0 outside the image or
the ``(0, 0)`` placeholder; boxes are the labelled joints' extent grown by ``--margin``
on every side, clipped to the image (:mod:`hsjp_mmpose.datasets.converters.lsp`). Every
file is written atomically; a second run with the same ``joints.mat`` and settings
reuses the files. On a folder that is not as published it prints one ``error:`` line
naming the file and what to do, writes nothing and exits with status 2.
"""
import argparse
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hsjp_mmpose.datasets.converters.lsp import (STAMP_FILE,  # noqa: E402
                                                 LspDataError, convert_lsp)

#: Exit status on bad input (as argparse's on a bad command line).
EXIT_BAD_INPUT = 2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert the published LSP / LSP Extended folder (joints.mat, images/) '
        'to COCO-style keypoint files.')
    parser.add_argument('--data-root', required=True,
                        help='the published folder, holding joints.mat and images/')
    parser.add_argument('--out-dir', default='data/lsp_extended',
                        help='where annotations/ and the images link go '
                        '(default data/lsp_extended)')
    parser.add_argument('--margin', type=float, default=0.1,
                        help="box margin, a fraction of the joints' extent on every side "
                        '(default 0.1)')
    parser.add_argument('--no-link-images', dest='link_images', action='store_false',
                        help='do not link OUT_DIR/images to the published images')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Convert; return the exit status (0, or 2 on bad input)."""
    args = parse_args(argv)
    out_dir = Path(args.out_dir)
    try:
        stamp = convert_lsp(args.data_root, out_dir, margin=args.margin,
                            link_images=args.link_images, log=print)
    except (LspDataError, OSError) as err:  # OSError: FileNotFoundError, permissions
        message = ' '.join(str(err).split())  # one line
        print(f'error: {message}', file=sys.stderr)
        return EXIT_BAD_INPUT
    for split, name in stamp['files'].items():
        print(f'{split}: {stamp["people"][split]} people in {out_dir / name}')
    if args.link_images:
        print(f'images: {out_dir / "images"} -> {Path(args.data_root).resolve() / "images"}')
    print(f'{stamp["num_people"]} people ({stamp["kind"]}); stamp {out_dir / STAMP_FILE}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
