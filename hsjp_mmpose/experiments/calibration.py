# Copyright (c) hsjp-mmpose contributors.
"""Calibrate the generated people's difficulty: one factor at a time, same network and
budget.

Each row generates a data set from the ``easy`` level with one or more factors of
:class:`~hsjp_mmpose.synthetic.levels.DataLevel` changed (the last row is ``hard``),
trains the small scratch config on the first ``num_labelled`` people for ``epochs`` and
reports COCO AP and PCK@0.2 on that data set's own validation split and on one common
validation split (the ``hard`` level's), and the share of occluded (v=1) keypoints.
``configs/hsjp/README.md`` holds the table.
"""
import json
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from hsjp_mmpose.experiments.options import coco_data_root_options, finetune_options
from hsjp_mmpose.experiments.report import format_ap, markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner, check_labelled_people

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRATCH_CONFIG = REPO_ROOT / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'

#: (row name, level) pairs: easy, then one factor of hard at a time, then hard.
ROWS: Tuple[Tuple[str, dict], ...] = (
    ('easy', dict(base='easy')),
    ('+ limb-shaped clutter', dict(base='easy', limb_distractors=True, clutter=1.)),
    ('+ occluders', dict(base='easy', occluders=1., hide_prob=0.04)),
    ('+ any yaw (self-occlusion)', dict(base='easy', max_yaw=180.)),
    ('+ person scale 0.5-0.95', dict(base='easy', height_range=(0.5, 0.95))),
    ('+ truncation', dict(base='easy', truncation_prob=0.2)),
    ('+ up to 3 people', dict(base='easy', max_people=3)),
    ('medium', dict(base='medium')),
    ('hard', dict(base='hard')),
)


def occluded_share(data_root: Path, split: str = 'val') -> float:
    """Share of labelled keypoints that are covered (v=1) among those with v > 0."""
    data = json.loads((data_root / 'annotations' / f'person_keypoints_{split}.json').read_text())
    vis = np.array([a['keypoints'][2::3] for a in data['annotations']
                    if a['num_keypoints'] > 0]).ravel()
    return float((vis == 1).sum() / max((vis > 0).sum(), 1))


def calibrate(work_dir, rows: Sequence[Tuple[str, dict]] = ROWS, num_train: int = 1000,
              num_val: int = 300, num_labelled: int = 400, epochs: int = 30, seed: int = 0,
              log: Optional[Callable[[str], None]] = None) -> List[Dict]:
    """Run every row (resuming a half-finished table) and write ``results.md``."""
    runner = ExperimentRunner(work_dir, log=log, name='calibrate')
    common = runner.data('common_val_hard', 0, num_val, seed=seed + 1000, level='hard')
    out = []
    for i, (name, level) in enumerate(rows):
        data_root = runner.data(f'row{i}', num_train, num_val, seed=seed, level=level)
        check_labelled_people(num_labelled, SCRATCH_CONFIG, data_root)
        run = runner.run(Arm(f'row{i}', SCRATCH_CONFIG, finetune_options(
            SCRATCH_CONFIG, data_root, epochs, num_labelled, val_interval=epochs, seed=seed)))
        if 'common_test' not in run:
            run['common_test'], _ = runner.test(
                Arm(f'row{i}_on_common', SCRATCH_CONFIG, coco_data_root_options(common)),
                run['checkpoint'])
            runner.save()
        out.append(dict(row=name, level=level, occluded=occluded_share(data_root),
                        ap=run['test'].get('coco/AP'), pck=run['test'].get('PCK'),
                        common_ap=run['common_test'].get('coco/AP'),
                        common_pck=run['common_test'].get('PCK'),
                        train_seconds=run['train_seconds']))
    write_report(runner, format_table(out, num_labelled, epochs, seed), extra=dict(table=out))
    return out


def format_table(rows: Sequence[Dict], num_labelled: int, epochs: int, seed: int) -> str:
    lines = [f'Scratch training of the small network on the first {num_labelled} labelled '
             f'people for {epochs} epochs (seed {seed}); COCO AP (%) and PCK@0.2 by `mim '
             'test` on each row\'s own validation split and on one common split (300 images '
             'of the hard level).', '']

    def pck(value):
        return 'n/a' if value is None else f'{value:.3f}'

    lines.append(markdown_table(
        ['data', 'occluded keypoints (v=1)', 'AP, own val', 'PCK@0.2, own val',
         'AP, common hard val', 'PCK@0.2, common hard val', 'train s'],
        [[r['row'], f"{100 * r['occluded']:.0f}%", format_ap(r['ap']), pck(r['pck']),
          format_ap(r['common_ap']), pck(r['common_pck']), f"{r['train_seconds']:.0f}"]
         for r in rows]))
    return '\n'.join(lines) + '\n'


__all__ = ['ROWS', 'calibrate', 'format_table', 'occluded_share']
