# Copyright (c) hsjp-mmpose contributors.
"""Location-free pose estimation against a standard heatmap head, at equal budgets.

Four arms of one :class:`~hsjp_mmpose.experiments.ExperimentRunner` train on the same
generated people for the same number of epochs through ``mim train`` and are evaluated by
``mim test`` the same way (COCO keypoint AP with ground-truth boxes and flip test, and
PCK@0.2 normalised by the box): ``HeatmapHead`` with every location label, and
``LocationFreeHead`` with 0% (presence labels only), 25% and 100% location labels. The
report also gives how often each keypoint is absent from a training sample (what the
presence labels can teach) and draws the weak-only arm's CAMs.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from hsjp_mmpose.experiments import Arm, ExperimentRunner, format_ap
from hsjp_mmpose.experiments.options import coco_data_root_options

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / 'location_free'


@dataclass
class LocationFreeArm:
    """One benchmark arm: a name, its location-label share and its config file."""
    name: str
    labels: str
    config: str


ARMS = (
    LocationFreeArm('HeatmapHead', '100%', 'td-hm_res18-half_1xb32-12e_synthetic-128x96.py'),
    LocationFreeArm('LocationFreeHead', '0% (weak only)',
                    'locfree_res18-half_1xb32-12e_synthetic-loc0-128x96.py'),
    LocationFreeArm('LocationFreeHead', '25%',
                    'locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py'),
    LocationFreeArm('LocationFreeHead', '100%',
                    'locfree_res18-half_1xb32-12e_synthetic-loc100-128x96.py'),
)


def arm_options(config: str, data_root, epochs: Optional[int] = None,
                seed: int = 0) -> List[str]:
    """``--cfg-options`` of an arm: its data, budget and seed; validation once, at the end
    (``mim test`` then evaluates the last checkpoint)."""
    cfg = Config.fromfile(str(config))
    epochs = epochs or cfg.train_cfg.max_epochs
    options = coco_data_root_options(data_root) + [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        f'default_hooks.checkpoint.interval={epochs}', f'randomness.seed={seed}']
    for i, sched in enumerate(cfg.param_scheduler):
        if sched.get('by_epoch', True):
            options += [f'param_scheduler.{i}.{key}={epochs}' for key in ('T_max', 'end')
                        if key in sched]
    return options


def presence_matrix(config: str, data_root, num_samples: int = 500,
                    seed: int = 0) -> Tuple[np.ndarray, Dict]:
    """Presence labels (``num_samples``, K) of ``config``'s training pipeline, one pass,
    and the dataset's metainfo."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = Config.fromfile(str(config))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = str(Path(data_root)) + '/'
    dataset = DATASETS.build(dataset_cfg)
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        presence = [
            np.asarray(dataset[i]['data_samples'].gt_instance_labels.keypoint_presence,
                       dtype=np.float64)[0]
            for i in range(min(num_samples, len(dataset)))
        ]
    finally:
        np.random.set_state(state)
    return np.stack(presence), dataset.metainfo


def absence_rates(presence: np.ndarray, metainfo: Dict) -> Dict[str, float]:
    """How often each keypoint is absent (presence 0) from a training sample."""
    names = [metainfo['keypoint_id2name'][k] for k in range(presence.shape[1])]
    return dict(zip(names, (1 - presence).mean(axis=0).round(3).tolist()))


def one_side_rates(presence: np.ndarray, metainfo: Dict) -> Dict[str, float]:
    """For each left/right pair (from ``flip_indices``): how often exactly one of the two
    is present, the only samples whose presence labels tell left from right."""
    names = metainfo['keypoint_id2name']
    rates = {}
    for k, j in enumerate(metainfo['flip_indices']):
        if k < j:
            pair = names[k].replace('left_', '').replace('right_', '')
            rates[pair] = round(float((presence[:, k] != presence[:, j]).mean()), 3)
    return rates


def presence_statistics(config: str, data_root, num_samples: int = 500,
                        seed: int = 0) -> Dict[str, float]:
    """How often each keypoint is absent (``keypoint_presence == 0``) from a training
    sample of ``config``'s pipeline: one pass over ``num_samples`` samples."""
    return absence_rates(*presence_matrix(config, data_root, num_samples, seed))


def format_table(rows: Sequence[Dict]) -> str:
    """Markdown table of the arms' AP (%), AP50 (%), PCK@0.2 and training time."""
    lines = ['| head | location labels | AP | AP50 | PCK@0.2 | train s |',
             '|---|---|---|---|---|---|']
    for r in rows:
        lines.append(f"| {r['name']} | {r['labels']} | {format_ap(r['coco/AP'])} | "
                     f"{format_ap(r['coco/AP .5'])} | {r['PCK']:.3f} | {r['train_s']:.0f} |")
    return '\n'.join(lines)


def _ratio_line(label: str, num: Dict, den: Dict, target: Optional[float] = None,
                min_ap: float = 0.01) -> str:
    """``num / den`` for AP (when the reference AP is measurable) and for PCK@0.2."""
    parts = []
    if den['coco/AP'] >= min_ap:
        ratio = num['coco/AP'] / den['coco/AP']
        verdict = '' if target is None else \
            f" (target >= {target:.2f}: {'met' if ratio >= target else 'not met'})"
        parts.append(f'AP ratio {ratio:.2f}{verdict}')
    else:
        parts.append(f"AP ratio not meaningful (reference AP {format_ap(den['coco/AP'])} < "
                     f'{format_ap(min_ap)})')
    if den['PCK'] > 0:
        parts.append(f"PCK@0.2 ratio {num['PCK'] / den['PCK']:.2f}")
    return f"{label}: {'; '.join(parts)}"


def summary_lines(rows: Sequence[Dict]) -> List[str]:
    """The issue's targets, checked against the measured numbers."""
    by_labels = {(r['name'], r['labels']): r for r in rows}
    full = by_labels.get(('LocationFreeHead', '100%'))
    part = by_labels.get(('LocationFreeHead', '25%'))
    weak = by_labels.get(('LocationFreeHead', '0% (weak only)'))
    ref = by_labels.get(('HeatmapHead', '100%'))
    lines = []
    if full and ref:
        lines.append(_ratio_line('100% LocationFreeHead / 100% HeatmapHead', full, ref,
                                 target=0.95))
    if part and full:
        lines.append(_ratio_line('25% / 100% location labels (LocationFreeHead)', part, full,
                                 target=0.9))
    if weak:
        lines.append(f"weak only: AP {format_ap(weak['coco/AP'])}, PCK@0.2 {weak['PCK']:.3f} "
                     f"(target >= 0.5: {'met' if weak['PCK'] >= 0.5 else 'not met'})")
    return lines


def run_benchmark(work_dir: str, num_train: int = 2000, num_val: int = 300,
                  epochs: Optional[int] = None, seed: int = 0, level: str = 'easy',
                  arms: Sequence[LocationFreeArm] = ARMS, config_dir: Path = CONFIG_DIR,
                  cam_images: int = 4, log: Optional[Callable[[str], None]] = None
                  ) -> List[Dict]:
    """Generate the data (once), train and test every arm (resuming a half-finished
    benchmark) and write ``results.md``, ``results.json`` and the weak-only arm's CAMs.

    Returns:
        list[dict]: One row per arm: ``name``, ``labels``, ``config``, the test metrics
        (``coco/AP``, ``coco/AP .5``, ``PCK``, ...) and ``train_s``.
    """
    runner = ExperimentRunner(work_dir, log=log, name='locfree')
    data_root = runner.data(f'{level}_seed{seed}', num_train, num_val, seed=seed, level=level)
    rows = []
    for arm in arms:
        config = Path(config_dir) / arm.config
        key = f"{arm.name}_{arm.labels.split('%')[0]}"
        run = runner.run(Arm(key, config, arm_options(str(config), data_root, epochs, seed)))
        rows.append(dict(name=arm.name, labels=arm.labels, config=arm.config,
                         checkpoint=run['checkpoint'], train_s=run['train_seconds'],
                         **run['test']))
        runner.say(f"{arm.name}, {arm.labels} location labels: AP {format_ap(rows[-1]['coco/AP'])}"
                   f"  PCK@0.2 {rows[-1]['PCK']:.3f}")
    weak = next((a for a in arms if a.labels.startswith('0%')), arms[-1])
    presence, metainfo = presence_matrix(str(Path(config_dir) / weak.config), data_root,
                                         seed=seed)
    absent, one_side = absence_rates(presence, metainfo), one_side_rates(presence, metainfo)
    cams = []
    if cam_images:
        from hsjp_mmpose.visualization.cam import render_dataset_cams
        cfg = Config.fromfile(str(Path(config_dir) / weak.config))
        cfg.merge_from_dict({o.split('=', 1)[0]: o.split('=', 1)[1]
                             for o in coco_data_root_options(data_root)})
        weak_row = next(r for r in rows if r['config'] == weak.config)
        cams = render_dataset_cams(cfg, weak_row['checkpoint'], str(runner.work_dir / 'cams'),
                                   cam_images)
    text = '\n'.join([
        '# Location-free pose estimation benchmark', '',
        f'Generated people ({level} level; {num_train} train / {num_val} val images), the same budget per arm, seed {seed}; COCO AP (%) with ground-truth '
        'boxes and flip test, PCK@0.2 normalised by the box, both by `mim test`.', '',
        format_table(rows), '', *[f'- {line}' for line in summary_lines(rows)],
        f'- whole run (data, training, evaluation): {runner.elapsed / 60:.1f} min', '',
        'Share of training samples in which each keypoint is absent (presence label 0), '
        'after half-body crops, truncating shifts and keypoint erasing:', '',
        '| ' + ' | '.join(absent) + ' |', '|' + '---|' * len(absent),
        '| ' + ' | '.join(f'{v:.2f}' for v in absent.values()) + ' |', '',
        'Share of those samples in which exactly one keypoint of a left/right pair is '
        'present (the only ones whose presence labels tell left from right):', '',
        '| ' + ' | '.join(one_side) + ' |', '|' + '---|' * len(one_side),
        '| ' + ' | '.join(f'{v:.2f}' for v in one_side.values()) + ' |', '',
        *([f'Weak-only CAMs: {", ".join(Path(p).name for p in cams)} in '
           f'{runner.work_dir / "cams"}', ''] if cams else [])])
    (runner.work_dir / 'results.md').write_text(text)
    runner.save(extra=dict(table=rows, absent=absent, one_side_present=one_side))
    runner.log(text)
    return rows
