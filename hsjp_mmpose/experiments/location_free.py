# Copyright (c) hsjp-mmpose contributors.
"""Location-free pose estimation against a standard heatmap head, at equal budgets.

Six arms of one :class:`~hsjp_mmpose.experiments.ExperimentRunner` train on the same
generated people for the same number of epochs through ``mim train`` and are evaluated by
``mim test`` the same way (COCO keypoint AP with ground-truth boxes and flip test, PCK@0.2
normalised by the box, left/right accuracy per keypoint pair and distinct peak places per
person, :mod:`hsjp_mmpose.evaluation.left_right`): ``HeatmapHead`` with every location
label, ``LocationFreeHead`` with 0% (weak labels only), 25% and 100% location labels, and
the two baselines of the 25% arm at its iterations and batch composition:
``LocationFreeHead`` with its presence losses off and ``HeatmapHead`` on the located 25%
alone. The report also gives how often each keypoint is absent from a training sample
(what the presence labels can teach) and draws the weak-only arm's CAMs.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from hsjp_mmpose.experiments.options import coco_data_root_options, schedule_options
from hsjp_mmpose.experiments.report import format_ap, markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / 'location_free'


@dataclass
class LocationFreeArm:
    """One benchmark arm: a name, its location-label share, its config file and the key
    of its run (``<name>_<share>`` by default)."""
    name: str
    labels: str
    config: str
    key: str = field(default='')

    def __post_init__(self) -> None:
        self.key = self.key or f"{self.name}_{self.labels.split('%')[0]}"


#: ``labels`` of the 25% arm's two baselines
PRESENCE_OFF = '25% (presence losses off)'
LOCATED_ONLY = '25% (located quarter alone)'
ARMS = (
    LocationFreeArm('HeatmapHead', '100%', 'td-hm_res18-half_1xb32-12e_synthetic-128x96.py'),
    LocationFreeArm('LocationFreeHead', '0% (weak only)',
                    'locfree_res18-half_1xb32-12e_synthetic-loc0-128x96.py'),
    LocationFreeArm('LocationFreeHead', '25%',
                    'locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py'),
    LocationFreeArm('LocationFreeHead', PRESENCE_OFF,
                    'locfree_res18-half_1xb32-12e_synthetic-loc25-nopresence-128x96.py',
                    key='LocationFreeHead_25_nopresence'),
    LocationFreeArm('HeatmapHead', LOCATED_ONLY,
                    'td-hm_res18-half_1xb32-12e_synthetic-loc25-128x96.py'),
    LocationFreeArm('LocationFreeHead', '100%',
                    'locfree_res18-half_1xb32-12e_synthetic-loc100-128x96.py'),
)
#: left/right pairs of the limbs, as ``LeftRightAccuracy`` names them
LIMB_PAIRS = ('shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle')


def arm_options(config: str, data_root, epochs: Optional[int] = None,
                seed: int = 0) -> List[str]:
    """``--cfg-options`` of an arm: its data, budget (the config's own by default) and
    seed; validation and a checkpoint once, at the end (``mim test`` then evaluates the
    last checkpoint)."""
    cfg = Config.fromfile(str(config))
    epochs = epochs or cfg.train_cfg.max_epochs
    return coco_data_root_options(data_root) + schedule_options(
        cfg, epochs, val_interval=epochs) + [
            f'default_hooks.checkpoint.interval={epochs}', f'randomness.seed={seed}']


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


def side_metrics(test_log: str) -> Dict[str, float]:
    """``left_right/<pair>``, ``left_right_2px/<pair>`` and ``peaks/places(_gt)`` from the
    last ``Epoch(test)`` line of a ``mim test`` output (the runner keeps the COCO and PCK
    metrics)."""
    lines = [line for line in test_log.splitlines() if 'Epoch(test)' in line]
    if not lines:
        return {}
    return {key: float(value) for key, value in re.findall(
        r'((?:left_right(?:_2px)?|peaks)/[A-Za-z_]+):\s*(-?\d+(?:\.\d+)?)', lines[-1])}


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return '-' if value is None else f'{value:.{digits}f}'


def format_table(rows: Sequence[Dict]) -> str:
    """Markdown table of the arms' AP (%), AP50 (%), PCK@0.2, distinct peak places per
    person (the true keypoints' count in brackets) and training time."""
    return markdown_table(
        ['head', 'location labels', 'AP', 'AP50', 'PCK@0.2', 'peak places', 'train s'],
        [[r['name'], r['labels'], format_ap(r['coco/AP']), format_ap(r['coco/AP .5']),
          f"{r['PCK']:.3f}",
          f"{_fmt(r.get('peaks/places'))} ({_fmt(r.get('peaks/places_gt'))})"
          if r.get('peaks/places') is not None else '-',
          f"{r['train_s']:.0f}"] for r in rows])


def format_side_table(rows: Sequence[Dict]) -> str:
    """Markdown table of left/right accuracy per limb pair, ``4 px / 2 px`` (people whose
    two keypoints lie at least that many heatmap pixels apart; ``-`` when none does)."""
    return markdown_table(
        ['head', 'location labels', *LIMB_PAIRS],
        [[r['name'], r['labels'], *[
            f"{_fmt(r.get(f'left_right/{p}'))} / {_fmt(r.get(f'left_right_2px/{p}'))}"
            for p in LIMB_PAIRS]] for r in rows])


def limb_side_accuracy(row: Dict) -> Dict[str, float]:
    """Left/right accuracy of each limb pair at 4 px, or at 2 px for a pair that is never
    4 px apart (the hips of generated people)."""
    out = {}
    for pair in LIMB_PAIRS:
        value = row.get(f'left_right/{pair}', row.get(f'left_right_2px/{pair}'))
        if value is not None:
            out[pair] = value
    return out


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


def _met(ok: bool) -> str:
    return 'met' if ok else 'not met'


def _gain_line(label: str, num: Dict, den: Dict, target: float = 0.03) -> str:
    gain = num['coco/AP'] - den['coco/AP']
    return (f"{label}: AP {format_ap(num['coco/AP'])} against {format_ap(den['coco/AP'])}, "
            f"{'+' if gain >= 0 else '-'}{format_ap(abs(gain))} (target >= "
            f"+{format_ap(target)}: {_met(gain >= target)})")


def summary_lines(rows: Sequence[Dict]) -> List[str]:
    """The issue's targets, checked against the measured numbers."""
    by_labels = {(r['name'], r['labels']): r for r in rows}
    full = by_labels.get(('LocationFreeHead', '100%'))
    part = by_labels.get(('LocationFreeHead', '25%'))
    off = by_labels.get(('LocationFreeHead', PRESENCE_OFF))
    alone = by_labels.get(('HeatmapHead', LOCATED_ONLY))
    weak = by_labels.get(('LocationFreeHead', '0% (weak only)'))
    ref = by_labels.get(('HeatmapHead', '100%'))
    lines = []
    if full and ref:
        lines.append(f"100% LocationFreeHead >= 100% HeatmapHead: AP "
                     f"{format_ap(full['coco/AP'])} against {format_ap(ref['coco/AP'])} "
                     f"({_met(full['coco/AP'] >= ref['coco/AP'])})")
    if part and off:
        lines.append(_gain_line('25% with presence labels / presence losses off', part, off))
    if part and alone:
        lines.append(_gain_line('25% LocationFreeHead / HeatmapHead on the located 25% alone',
                                part, alone))
    if part and full:
        lines.append(_ratio_line('25% / 100% location labels (LocationFreeHead)', part, full,
                                 target=0.9))
    if weak:
        line = (f"weak only: AP {format_ap(weak['coco/AP'])}, PCK@0.2 {weak['PCK']:.3f} "
                f"(target >= 0.75: {_met(weak['PCK'] >= 0.75)})")
        sides = limb_side_accuracy(weak)
        if sides:
            worst = min(sides, key=sides.get)
            line += (f"; left/right lowest on the limbs {sides[worst]:.2f} ({worst}; 4 px, "
                     f"hips at 2 px; target >= 0.80 on every pair: "
                     f"{_met(len(sides) == len(LIMB_PAIRS) and sides[worst] >= 0.8)})")
        if weak.get('peaks/places') is not None:
            line += (f"; {weak['peaks/places']:.2f} distinct peak places per person (true "
                     f"{_fmt(weak.get('peaks/places_gt'))}; target >= 15: "
                     f"{_met(weak['peaks/places'] >= 15)})")
        lines.append(line)
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
        run = runner.run(Arm(arm.key, config, arm_options(str(config), data_root, epochs,
                                                          seed)))
        test_log = runner.log_dir / f'test_{arm.key}.log'
        sides = side_metrics(test_log.read_text()) if test_log.is_file() else {}
        rows.append(dict(name=arm.name, labels=arm.labels, config=arm.config,
                         checkpoint=run['checkpoint'], train_s=run['train_seconds'],
                         **run['test'], **sides))
        runner.say(f"{arm.name}, {arm.labels} location labels: AP {format_ap(rows[-1]['coco/AP'])}"
                   f"  PCK@0.2 {rows[-1]['PCK']:.3f}  peak places "
                   f"{_fmt(rows[-1].get('peaks/places'))}  left/right (4 px; hips 2 px) "
                   + ' '.join(f'{k} {v:.2f}' for k, v in limb_side_accuracy(rows[-1]).items()))
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
        f'Generated people ({level} level; {num_train} train / {num_val} val images), the '
        f'same budget per arm, seed {seed}; COCO AP (%) with ground-truth boxes and flip '
        'test, PCK@0.2 normalised by the box, both by `mim test`.', '',
        format_table(rows), '', *[f'- {line}' for line in summary_lines(rows)],
        f'- whole run (data, training, evaluation): {runner.elapsed / 60:.1f} min', '',
        'Left/right accuracy per limb pair, `4 px / 2 px`: the share of validation people '
        '(both keypoints visible and at least 4, or 2, heatmap pixels apart) whose '
        'predicted left keypoint lies nearer the true left than the true right (chance '
        '0.5). The hips of generated people are seldom 4 px apart: read them at 2 px. `-`: '
        'no such person.', '',
        format_side_table(rows), '',
        'Share of training samples in which each keypoint is absent (presence label 0), '
        'after half-body crops, truncating shifts and keypoint erasing:', '',
        markdown_table(list(absent), [[f'{v:.2f}' for v in absent.values()]]), '',
        'Share of those samples in which exactly one keypoint of a left/right pair is '
        'present (the only ones whose presence labels tell left from right):', '',
        markdown_table(list(one_side), [[f'{v:.2f}' for v in one_side.values()]]), '',
        *([f'Weak-only CAMs: {", ".join(Path(p).name for p in cams)} in '
           f'{runner.work_dir / "cams"}', ''] if cams else [])])
    write_report(runner, text, extra=dict(table=rows, absent=absent, one_side_present=one_side))
    return rows
