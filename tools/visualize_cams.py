#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""Draw per-keypoint CAMs and the decoded skeleton for validation samples.

    python tools/visualize_cams.py CONFIG CHECKPOINT --out-dir vis --num-images 8
"""
import argparse

from mmengine.config import Config, DictAction

from hsjp_mmpose.visualization.cam import render_dataset_cams


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='model config (e.g. a configs/location_free one)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', default='cam_vis', help='output folder')
    parser.add_argument('--num-images', type=int, default=8, help='samples to draw')
    parser.add_argument('--score-thr', type=float, default=0.,
                        help='keypoints scored at or under it are not drawn')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. val_dataloader.dataset.'
                        'data_root=data/synthetic_coco/')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    paths = render_dataset_cams(cfg, args.checkpoint, args.out_dir, args.num_images,
                                score_thr=args.score_thr, device=args.device)
    print(f'wrote {len(paths)} images to {args.out_dir}')


if __name__ == '__main__':
    main()
