# Copyright (c) hsjp-mmpose contributors.
"""Write the backbone of a trained model as a tensors-only checkpoint.

Example::

    python tools/extract_backbone.py work_dirs/hsjp/epoch_210.pth work_dirs/hsjp/backbone.pth

and in the fine-tuning config::

    model = dict(backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint='work_dirs/hsjp/backbone.pth')))
"""
import argparse
import pickle
import sys

from hsjp_mmpose.engine.backbone_export import export_backbone


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract the backbone of a checkpoint into a tensors-only file that '
        'loads with torch.load(weights_only=True) and with init_cfg=dict(type="Pretrained").')
    parser.add_argument('src', help='checkpoint written by training (path or URL)')
    parser.add_argument('dst', help='backbone checkpoint to write, e.g. backbone.pth')
    parser.add_argument('--prefix', default='backbone.',
                        help='key prefix of the backbone in SRC (default: %(default)s)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        state_dict = export_backbone(args.src, args.dst, prefix=args.prefix)
    except (FileNotFoundError, ValueError, TypeError, pickle.UnpicklingError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    num_values = sum(tensor.numel() for tensor in state_dict.values())
    print(f'wrote {args.dst}: {len(state_dict)} tensors ({num_values:,} values) '
          f'under prefix {args.prefix!r} of {args.src}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
