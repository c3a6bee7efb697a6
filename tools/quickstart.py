# Copyright (c) hsjp-mmpose contributors.
"""HSJP quickstart on generated people: pretrain, fine-tune vs scratch, COCO AP table.

Example::

    python tools/quickstart.py --work-dir work_dirs/quickstart

See :mod:`hsjp_mmpose.quickstart` for what it runs. About 15 minutes on 2 CPU cores.
"""
import argparse
import sys
from pathlib import Path

try:
    from hsjp_mmpose.quickstart import Quickstart, QuickstartSettings
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from hsjp_mmpose.quickstart import Quickstart, QuickstartSettings


def parse_args(argv=None):
    d = QuickstartSettings()
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/quickstart',
                   help='output folder (default work_dirs/quickstart)')
    p.add_argument('--num-train', type=int, default=d.num_train,
                   help=f'generated training images (default {d.num_train})')
    p.add_argument('--num-val', type=int, default=d.num_val,
                   help=f'generated validation images (default {d.num_val})')
    p.add_argument('--num-labelled', type=int, default=d.num_labelled,
                   help=f'labelled people for fine-tuning (default {d.num_labelled})')
    p.add_argument('--max-people', type=int, default=d.max_people,
                   help=f'people per generated image, 1-3 (default {d.max_people})')
    p.add_argument('--pretrain-epochs', type=int, default=d.pretrain_epochs,
                   help=f'HSJP pretraining epochs (default {d.pretrain_epochs})')
    p.add_argument('--finetune-epochs', type=int, default=d.finetune_epochs,
                   help=f'fine-tuning epochs of both arms (default {d.finetune_epochs})')
    p.add_argument('--val-interval', type=int, default=d.val_interval,
                   help=f'fine-tuning epochs between validations (default {d.val_interval})')
    p.add_argument('--grid', type=int, nargs=2, default=d.jigsaw_grid, metavar=('ROWS', 'COLS'),
                   help='jigsaw grid (default %(default)s)')
    p.add_argument('--patch-jitter', type=int, default=d.patch_jitter,
                   help=f'patch jitter in pixels (default {d.patch_jitter})')
    p.add_argument('--seed', type=int, default=d.seed, help=f'seed (default {d.seed})')
    p.add_argument('--equal-compute', action='store_true',
                   help='also train from scratch for as long as pretraining + fine-tuning')
    args = p.parse_args(argv)
    for name in ('num_train', 'num_val', 'num_labelled', 'pretrain_epochs', 'finetune_epochs',
                 'val_interval'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    if not 1 <= args.max_people <= 3:
        p.error(f'--max-people must be 1, 2 or 3, got {args.max_people}')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    settings = QuickstartSettings(
        num_train=args.num_train, num_val=args.num_val, num_labelled=args.num_labelled,
        max_people=args.max_people, pretrain_epochs=args.pretrain_epochs,
        finetune_epochs=args.finetune_epochs, val_interval=args.val_interval,
        jigsaw_grid=tuple(args.grid),
        patch_jitter=args.patch_jitter, seed=args.seed, equal_compute=args.equal_compute)
    return Quickstart(args.work_dir, settings).run()


if __name__ == '__main__':
    main()
