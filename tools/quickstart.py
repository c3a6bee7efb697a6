# Copyright (c) hsjp-mmpose contributors.
"""HSJP quickstart on generated people: pretrain, fine-tune vs scratch, COCO AP table.

Example::

    python tools/quickstart.py --work-dir work_dirs/quickstart

See :mod:`hsjp_mmpose.experiments.quickstart` for what it runs. About 20 minutes on 2 CPU cores; a
second run with the same --work-dir resumes where the first stopped.
"""
import argparse
import re
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.quickstart import (TRANSFERS, Quickstart,  # noqa: E402
                                    QuickstartSettings, check_settings)
from hsjp_mmpose.synthetic.levels import DATA_LEVELS  # noqa: E402


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
    p.add_argument('--data-level', default=d.data_level, choices=sorted(DATA_LEVELS),
                   help=f'difficulty of the generated people (default {d.data_level}; hard '
                        'needs much longer schedules)')
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
    p.add_argument('--transfer', default=d.transfer, choices=TRANSFERS,
                   help='what fine-tuning takes from pretraining: the whole network except '
                        "the head's last layer, or the backbone (default %(default)s)")
    p.add_argument('--seed', type=int, default=d.seed, help=f'seed (default {d.seed})')
    p.add_argument('--no-equal-compute', dest='equal_compute', action='store_false',
                   help='skip the arm that trains from scratch for as long as pretraining + '
                        'fine-tuning took')
    args = p.parse_args(argv)
    args.settings = QuickstartSettings(
        num_train=args.num_train, num_val=args.num_val, num_labelled=args.num_labelled,
        max_people=args.max_people, data_level=args.data_level,
        pretrain_epochs=args.pretrain_epochs, finetune_epochs=args.finetune_epochs,
        val_interval=args.val_interval, jigsaw_grid=tuple(args.grid),
        patch_jitter=args.patch_jitter, transfer=args.transfer, seed=args.seed,
        equal_compute=args.equal_compute)
    try:  # every setting is checked here, before any data or training
        check_settings(args.settings)
    except ValueError as err:
        p.error(_option_names(str(err)))
    return args


def _option_names(message: str) -> str:
    """Name settings as their command-line options."""
    for name in ('num_train', 'num_val', 'num_labelled', 'max_people', 'pretrain_epochs',
                 'finetune_epochs', 'val_interval', 'patch_jitter', 'transfer'):
        message = re.sub(rf'\b{name}\b', '--' + name.replace('_', '-'), message)
    return message.replace('grid /', '--grid /')


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:
        return Quickstart(args.work_dir, args.settings).run()
    except ValueError as err:  # a setting the generated data cannot meet, before training
        print(f'quickstart: error: {_option_names(str(err))}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as err:
        print(f'\nquickstart stopped ({err or "interrupted"}); run the same command again to '
              f'resume from {args.work_dir}', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
