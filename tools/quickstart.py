#!/usr/bin/env python
# Copyright (c) hsjp-mmpose contributors.
"""HSJP quickstart: pretrain, fine-tune vs scratch, score table (generated people or photos).

Example::

    python tools/quickstart.py --work-dir work_dirs/quickstart
    python tools/quickstart.py --dataset lsp-extended --data-root /data/lspet_dataset \\
        --work-dir work_dirs/quickstart_lsp

See :mod:`hsjp_mmpose.experiments.quickstart` for what it runs. About 20 minutes on 2 CPU
cores for generated people, 25 for LSP Extended's photos; a second run with the same
--work-dir resumes where the first stopped.
"""
import argparse
import re
import sys
from pathlib import Path

try:
    import hsjp_mmpose  # noqa: F401
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hsjp_mmpose.experiments.data_sources import add_data_source_args  # noqa: E402
from hsjp_mmpose.experiments.quickstart import (TRANSFERS, Quickstart,  # noqa: E402
                                                QuickstartSettings, check_settings)
from hsjp_mmpose.synthetic.levels import DATA_LEVELS  # noqa: E402

#: settings a real data set does not use
_GENERATED_ONLY = ('num_train', 'num_val', 'max_people', 'data_level')


def _default(name: str) -> str:
    """'N' or 'N (lsp-extended: M)': a setting's default per data set."""
    d = QuickstartSettings()
    text = str(getattr(d, name))
    lsp = QuickstartSettings.DATASET_DEFAULTS['lsp-extended']
    return text + (f', lsp-extended: {lsp[name]}' if name in lsp else '')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/quickstart',
                   help='output folder (default work_dirs/quickstart)')
    add_data_source_args(p)
    for name, text in (('num_train', 'generated training images'),
                       ('num_val', 'generated validation images'),
                       ('num_labelled', 'labelled people for fine-tuning'),
                       ('max_people', 'people per generated image, 1-3'),
                       ('pretrain_epochs', 'HSJP pretraining epochs'),
                       ('finetune_epochs', 'fine-tuning epochs of both arms'),
                       ('val_interval', 'fine-tuning epochs between validations'),
                       ('patch_jitter', 'patch jitter in pixels'),
                       ('pictures', 'test people drawn: puzzles, heatmaps, skeletons; 0 none'),
                       ('seed', 'seed')):
        p.add_argument('--' + name.replace('_', '-'), type=int, default=None,
                       help=f'{text} (default {_default(name)})')
    p.add_argument('--data-level', default=None, choices=sorted(DATA_LEVELS),
                   help='difficulty of the generated people (default easy; hard needs much '
                        'longer schedules)')
    p.add_argument('--grid', dest='jigsaw_grid', type=int, nargs=2, default=None,
                   metavar=('ROWS', 'COLS'), help='jigsaw grid (default 2 2)')
    p.add_argument('--transfer', default=None, choices=TRANSFERS,
                   help='what fine-tuning takes from pretraining: the whole network except '
                        "the head's last layer, or the backbone (default whole)")
    p.add_argument('--no-equal-compute', dest='equal_compute', action='store_false',
                   default=None, help='skip the arm that trains from scratch for as long as '
                                      'pretraining + fine-tuning took')
    args = p.parse_args(argv)
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in vars(args).items()
              if k in QuickstartSettings.__dataclass_fields__ and v is not None}
    if args.dataset != 'generated':
        given = [k for k in _GENERATED_ONLY if k in values]
        if given:
            p.error(_option_names(f'{", ".join(given)}: settings of the generated people; '
                                  f'--dataset {args.dataset} does not use them'))
    try:  # every setting is checked here, before any data or training
        args.settings = QuickstartSettings.for_dataset(**values)
        check_settings(args.settings)
    except ValueError as err:
        p.error(_option_names(str(err)))
    return args


def _option_names(message: str) -> str:
    """Name settings as their command-line options."""
    for name in ('num_train', 'num_val', 'num_labelled', 'max_people', 'pretrain_epochs',
                 'finetune_epochs', 'val_interval', 'patch_jitter', 'transfer', 'pictures',
                 'data_level'):
        message = re.sub(rf'\b{name}\b', '--' + name.replace('_', '-'), message)
    return message.replace('grid /', '--grid /')


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:
        return Quickstart(args.work_dir, args.settings).run()
    except ValueError as err:  # a setting the data cannot meet, before training
        print(f'quickstart: error: {_option_names(str(err))}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as err:
        print(f'\nquickstart stopped ({err or "interrupted"}); run the same command again to '
              f'resume from {args.work_dir}', file=sys.stderr)
        sys.exit(130)


if __name__ == '__main__':
    main()
