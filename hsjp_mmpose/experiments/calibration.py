# Copyright (c) hsjp-mmpose contributors.
"""Calibrate the generated people's difficulty: one factor at a time, same network and
budget.

Each row generates a data set from the ``easy`` level with one or more factors of
:class:`~hsjp_mmpose.synthetic.levels.DataLevel` changed (the last row is ``hard``),
trains the small scratch config on the first ``num_labelled`` people for ``epochs`` and
reports COCO AP and PCK@0.2 on that data set's own validation split and on one common
split, and the share of occluded (v=1) keypoints. ``configs/hsjp/README.md`` holds the table.

The common split comes from the data source (``dataset``, ``data_root``; see
:mod:`~hsjp_mmpose.experiments.data_sources`):

- ``generated`` (the default): a validation split of the ``hard`` level, scored by
  ``mim test`` (COCO AP and PCK@0.2 of the box);
- ``lsp-extended``: the LSP Extended validation split (real photos, 14 joints), converted
  once into the work dir; every row's network (COCO-17) is scored on the 12 limb joints
  both layouts share, through MMPose's ``KeypointConverter``
  (:func:`~hsjp_mmpose.experiments.real_people.score_cross_layout`): PCK@0.2 of the torso
  (tPCK) and of the box.
"""
import json
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from hsjp_mmpose.config_paths import config_path
from hsjp_mmpose.experiments.data_sources import DataSource, data_source
from hsjp_mmpose.experiments.options import coco_data_root_options, finetune_options
from hsjp_mmpose.experiments.report import format_ap, markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner, check_labelled_people

SCRATCH_CONFIG = config_path('finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py')

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


def common_source(dataset: str = 'generated', data_root=None, num_val: int = 300,
                  seed: int = 0) -> DataSource:
    """The source of the common split: ``num_val`` images of the hard level (generator
    seed ``seed + 1000``, ``data/common_val_hard``) for ``generated``; the published
    folder ``data_root`` for ``lsp-extended``."""
    return data_source(dataset, data_root, num_train=0, num_val=num_val, seed=seed + 1000,
                       level='hard', data_name='common_val_hard')


def _score_on_real_common(runner: ExperimentRunner, source: DataSource, split, name: str,
                          checkpoint: str) -> dict:
    """Metrics of ``checkpoint`` (the scratch config, COCO-17) on a real source's split,
    on the shared limb joints through ``KeypointConverter``."""
    from hsjp_mmpose.experiments.real_people import score_cross_layout, source_dataset_type
    runner.say(f'{name}: scoring on the {source.name} val split (limb joints)')
    metrics, counts = score_cross_layout(
        SCRATCH_CONFIG, checkpoint, source_dataset_type(source), split.data_root,
        split.ann_file, split.img_prefix, source.layout,
        runner.work_dir / 'runs' / f'{name}_test', name=name, log_level='WARNING')
    runner.say(f'{name}: tPCK {metrics.get("tPCK", 0):.3f} over {metrics.get("tPCK/people")} '
               f'people, PCK (box) {metrics.get("PCK", 0):.3f}')
    return dict(metrics, people=counts['people'])


def calibrate(work_dir, rows: Sequence[Tuple[str, dict]] = ROWS, num_train: int = 1000,
              num_val: int = 300, num_labelled: int = 400, epochs: int = 30, seed: int = 0,
              log: Optional[Callable[[str], None]] = None, dataset: str = 'generated',
              data_root=None) -> List[Dict]:
    """Run every row (resuming a half-finished table) and write ``results.md``; the
    common split comes from ``dataset`` / ``data_root`` (:func:`common_source`)."""
    source = common_source(dataset, data_root, num_val, seed)
    source.check()
    runner = ExperimentRunner(work_dir, log=log, name='calibrate')
    common = source.prepare(runner)
    real = source.real_photos
    key = f'common_test_{source.name}' if real else 'common_test'
    out = []
    for i, (name, level) in enumerate(rows):
        data_root_i = runner.data(f'row{i}', num_train, num_val, seed=seed, level=level)
        check_labelled_people(num_labelled, SCRATCH_CONFIG, data_root_i)
        run = runner.run(Arm(f'row{i}', SCRATCH_CONFIG, finetune_options(
            SCRATCH_CONFIG, data_root_i, epochs, num_labelled, val_interval=epochs,
            seed=seed)))
        if key not in run:
            if real:
                run[key] = _score_on_real_common(runner, source, common.val,
                                                 f'row{i}_on_{source.name}', run['checkpoint'])
            else:
                run[key], _ = runner.test(
                    Arm(f'row{i}_on_common', SCRATCH_CONFIG,
                        coco_data_root_options(common.root)), run['checkpoint'])
            runner.save()
        row = dict(row=name, level=level, occluded=occluded_share(data_root_i),
                   ap=run['test'].get('coco/AP'), pck=run['test'].get('PCK'))
        if real:
            row.update(common_tpck=run[key].get('tPCK'), common_pck=run[key].get('PCK'))
        else:
            row.update(common_ap=run[key].get('coco/AP'), common_pck=run[key].get('PCK'))
        out.append(dict(row, train_seconds=run['train_seconds']))
    extra = dict(table=out)
    if real:
        extra['common'] = dict(dataset=source.name, data_root=str(source.data_root),
                               split='val')
    write_report(runner, format_table(out, num_labelled, epochs, seed,
                                      source if real else None), extra=extra)
    return out


def format_table(rows: Sequence[Dict], num_labelled: int, epochs: int, seed: int,
                 common: Optional[DataSource] = None) -> str:
    """The table; ``common`` is the real source of the common split (``None``: the
    generated hard val split, today's table)."""
    def pck(value):
        return 'n/a' if value is None else f'{value:.3f}'

    head = (f'Scratch training of the small network on the first {num_labelled} labelled '
            f'people for {epochs} epochs (seed {seed}); COCO AP (%) and PCK@0.2 by `mim '
            'test` on each row\'s own validation split and ')
    if common is None:
        lines = [head + 'on one common split (300 images of the hard level).', '']
        lines.append(markdown_table(
            ['data', 'occluded keypoints (v=1)', 'AP, own val', 'PCK@0.2, own val',
             'AP, common hard val', 'PCK@0.2, common hard val', 'train s'],
            [[r['row'], f"{100 * r['occluded']:.0f}%", format_ap(r['ap']), pck(r['pck']),
              format_ap(r['common_ap']), pck(r['common_pck']), f"{r['train_seconds']:.0f}"]
             for r in rows]))
        return '\n'.join(lines) + '\n'
    lines = [head + f'PCK@0.2 of the torso (tPCK) and of the box on the {common.title} '
             'validation split, on the 12 limb joints both layouts share (keypoints moved to '
             'COCO-17 by MMPose\'s KeypointConverter).', '']
    lines.append(markdown_table(
        ['data', 'occluded keypoints (v=1)', 'AP, own val', 'PCK@0.2, own val',
         f'tPCK@0.2, {common.name} val', f'PCK@0.2 (box), {common.name} val', 'train s'],
        [[r['row'], f"{100 * r['occluded']:.0f}%", format_ap(r['ap']), pck(r['pck']),
          pck(r['common_tpck']), pck(r['common_pck']), f"{r['train_seconds']:.0f}"]
         for r in rows]))
    return '\n'.join(lines) + '\n'


__all__ = ['ROWS', 'SCRATCH_CONFIG', 'calibrate', 'common_source', 'format_table',
           'occluded_share']
