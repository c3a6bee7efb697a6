# Copyright (c) hsjp-mmpose contributors.
"""Location-free pose estimation against a standard heatmap head, at equal budgets.

The arms of one :class:`~hsjp_mmpose.experiments.ExperimentRunner` train on the same people
(a data source, :mod:`.data_sources`: generated people, or LSP Extended's photos) for the
same number of epochs through ``mim train`` and are evaluated by ``mim test`` the same way
(ground-truth boxes and flip test; the source's metric, COCO AP or PCK@0.2 of the torso,
beside AP and PCK@0.2 of the box; left/right accuracy per keypoint pair and distinct peak
places per person, :mod:`hsjp_mmpose.evaluation.left_right`):

* ``HeatmapHead`` with every location label;
* ``LocationFreeHead`` with no location label: **image-level labels only** (which keypoints
  the crop shows: the seed's claim), and, as an arm of its own, coarse **box labels**
  simulated from the truth (per person 8 random boxes and whether each keypoint lies in
  each: location labels, however coarse);
* ``LocationFreeHead`` with 25% location labels and image-level labels (or box labels) on
  the rest, and its two baselines at its iterations and batches: the same head with its
  weak losses off, and ``HeatmapHead`` on the located 25% alone;
* ``LocationFreeHead`` with every location label;
* on photos, the 25% image-level arm with its backbone from HSJP pretraining on the
  unlabelled training crops (pretrained once, in the benchmark).

The report also gives the mean-pose baseline (the mean training pose placed in each test
box: what no learning gives), how often each keypoint is absent from a training sample
(what image-level labels can teach) and draws the image-level arm's CAMs.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from hsjp_mmpose.datasets.layouts import LIMB_JOINTS
from hsjp_mmpose.experiments.data_sources import DataSource, data_source
from hsjp_mmpose.experiments.options import load_config, schedule_options
from hsjp_mmpose.experiments.report import format_ap, markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner


@dataclass
class LocationFreeArm:
    """One benchmark arm: a head, its labels, the key of its run (``<name>_<share>`` by
    default; the data source's config role is ``locfree/<key>``) and, for ``init='hsjp'``,
    a backbone from the benchmark's HSJP pretraining."""
    name: str
    labels: str
    key: str = field(default='')
    init: Optional[str] = None

    def __post_init__(self) -> None:
        self.key = self.key or f"{self.name}_{self.labels.split('%')[0]}"

    @property
    def role(self) -> str:
        return f'locfree/{self.key}'


#: ``labels`` of the arms
IMAGE_LEVEL = '0% (image-level labels only)'
BOX_LABELS = '0% (coarse box labels, simulated from the truth)'
PART_IMAGE_LEVEL = '25% (+ image-level labels)'
PART_BOX_LABELS = '25% (+ coarse box labels)'
PRESENCE_OFF = '25% (weak losses off)'
LOCATED_ONLY = '25% (located quarter alone)'
PART_HSJP = '25% (+ image-level labels), HSJP init'
_ARMS = (
    LocationFreeArm('HeatmapHead', '100%'),
    LocationFreeArm('LocationFreeHead', IMAGE_LEVEL, key='LocationFreeHead_0_imagelevel'),
    LocationFreeArm('LocationFreeHead', BOX_LABELS, key='LocationFreeHead_0'),
    LocationFreeArm('LocationFreeHead', PART_IMAGE_LEVEL, key='LocationFreeHead_25_imagelevel'),
    LocationFreeArm('LocationFreeHead', PART_BOX_LABELS, key='LocationFreeHead_25'),
    LocationFreeArm('LocationFreeHead', PRESENCE_OFF, key='LocationFreeHead_25_nopresence'),
    LocationFreeArm('HeatmapHead', LOCATED_ONLY, key='HeatmapHead_25'),
    LocationFreeArm('LocationFreeHead', '100%'),
)
#: The arms of each data source (on generated people, the box-label arms keep the run keys
#: of the benchmark's earlier weak-only and 25% arms, whose configs they are).
ARMS_BY_DATASET: Dict[str, Tuple[LocationFreeArm, ...]] = {
    'generated': _ARMS,
    'lsp-extended': _ARMS + (
        LocationFreeArm('LocationFreeHead', PART_HSJP, key='LocationFreeHead_25_imagelevel_hsjp',
                        init='hsjp'), ),
}
ARMS = ARMS_BY_DATASET['generated']
#: left/right pairs of the limbs, as ``LeftRightAccuracy`` names them
LIMB_PAIRS = tuple(dict.fromkeys(joint.split('_', 1)[1] for joint in LIMB_JOINTS))


def arm_options(config: str, data, epochs: Optional[int] = None, seed: int = 0,
                num_people: Optional[int] = None) -> List[str]:
    """``--cfg-options`` of an arm: its data (a data folder, or a data source's
    :class:`~hsjp_mmpose.experiments.data_sources.PreparedData`), budget (the config's own
    by default) and seed, the first ``num_people`` training people (all by default);
    validation and a checkpoint once, at the end (``mim test`` then evaluates the last
    checkpoint)."""
    from hsjp_mmpose.experiments.options import coco_data_root_options
    cfg = load_config(config)
    epochs = epochs or cfg.train_cfg.max_epochs
    options = (coco_data_root_options(data) if isinstance(data, (str, Path))
               else data.options(cfg))
    options += schedule_options(cfg, epochs, val_interval=epochs) + [
        f'default_hooks.checkpoint.interval={epochs}', f'randomness.seed={seed}']
    if num_people:
        options.append(f'train_dataloader.dataset.indices={num_people}')
    return options


def presence_matrix(config: str, data, num_samples: int = 500,
                    seed: int = 0) -> Tuple[np.ndarray, Dict]:
    """Presence labels (``num_samples``, K) of ``config``'s training pipeline on ``data``
    (a data folder or a data source's prepared data), one pass, and the dataset's
    metainfo."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = Config.fromfile(str(config))
    dataset_cfg = cfg.train_dataloader.dataset
    if isinstance(data, (str, Path)):
        dataset_cfg.data_root = str(Path(data)) + '/'
    else:
        dataset_cfg.update(data_root=str(Path(data.train.data_root)) + '/',
                           ann_file=data.train.ann_file,
                           data_prefix=dict(dataset_cfg.get('data_prefix') or {},
                                            img=data.train.img_prefix))
    dataset_cfg.pop('indices', None)
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


def format_table(rows: Sequence[Dict], metric=None) -> str:
    """Markdown table of the arms' ranking metric (``metric``, a
    :class:`~hsjp_mmpose.experiments.data_sources.RankingMetric`; none for COCO AP
    alone), AP (%), AP50 (%), PCK@0.2 of the box, distinct peak places per person (the
    true keypoints' count in brackets) and training time."""
    first = [] if metric is None or metric.key == 'coco/AP' else [metric]
    return markdown_table(
        ['head', 'location labels'] + [m.label for m in first]
        + ['AP', 'AP50', 'PCK@0.2 (box)', 'peak places', 'train s'],
        [[r['name'], r['labels']] + [m.format(r.get(m.key)) for m in first]
         + [format_ap(r.get('coco/AP')), format_ap(r.get('coco/AP .5')),
            _fmt(r.get('PCK'), 3),
            f"{_fmt(r.get('peaks/places'))} ({_fmt(r.get('peaks/places_gt'))})"
            if r.get('peaks/places') is not None else '-',
            '-' if r.get('train_s') is None else f"{r['train_s']:.0f}"] for r in rows])


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


def summary_lines(rows: Sequence[Dict], metric=None,
                  mean_pose: Optional[Dict] = None) -> List[str]:
    """The targets, checked against the measured numbers: the generated people's (COCO AP,
    issue 16) or, with a PCK ``metric`` (real photos), issue 24's against the mean-pose
    baseline ``mean_pose``."""
    if metric is not None and metric.key != 'coco/AP':
        return _real_summary(rows, metric, mean_pose)
    by_labels = {(r['name'], r['labels']): r for r in rows}
    full = by_labels.get(('LocationFreeHead', '100%'))
    off = by_labels.get(('LocationFreeHead', PRESENCE_OFF))
    alone = by_labels.get(('HeatmapHead', LOCATED_ONLY))
    ref = by_labels.get(('HeatmapHead', '100%'))
    lines = []
    if full and ref:
        lines.append(f"100% LocationFreeHead >= 100% HeatmapHead: AP "
                     f"{format_ap(full['coco/AP'])} against {format_ap(ref['coco/AP'])} "
                     f"({_met(full['coco/AP'] >= ref['coco/AP'])})")
    for labels, what in ((PART_IMAGE_LEVEL, 'image-level'), (PART_BOX_LABELS, 'box')):
        part = by_labels.get(('LocationFreeHead', labels))
        if part and off:
            lines.append(_gain_line(f'25% with {what} labels / weak losses off', part, off))
        if part and alone:
            lines.append(_gain_line(f'25% LocationFreeHead ({what} labels) / HeatmapHead on '
                                    'the located 25% alone', part, alone))
        if part and full:
            lines.append(_ratio_line(f'25% ({what} labels) / 100% location labels '
                                     '(LocationFreeHead)', part, full, target=0.9))
    for labels in (IMAGE_LEVEL, BOX_LABELS):
        weak = by_labels.get(('LocationFreeHead', labels))
        if not weak:
            continue
        line = (f"{labels}: AP {format_ap(weak['coco/AP'])}, PCK@0.2 {weak['PCK']:.3f} "
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


def _real_summary(rows: Sequence[Dict], metric, mean_pose: Optional[Dict]) -> List[str]:
    """Issue 24's targets on the ranking metric (PCK@0.2 of the torso)."""
    key = metric.key
    by_labels = {(r['name'], r['labels']): r for r in rows}
    get = by_labels.get
    lines = []
    weak = get(('LocationFreeHead', IMAGE_LEVEL))
    if weak:
        line = f'image-level labels only: {metric.label} {metric.format(weak.get(key))}'
        if mean_pose and mean_pose.get(key) is not None:
            goal = mean_pose[key] + 0.15
            line += (f' against the mean pose {metric.format(mean_pose[key])} + 0.15 = '
                     f'{metric.format(goal)} ({_met(weak[key] >= goal)})')
        sides = limb_side_accuracy(weak)
        if sides:
            worst = min(sides, key=sides.get)
            line += (f"; left/right lowest {sides[worst]:.2f} ({worst}; target >= 0.70 on "
                     f"every limb pair: "
                     f"{_met(len(sides) == len(LIMB_PAIRS) and sides[worst] >= 0.7)})")
        lines.append(line)
    part, full = get(('LocationFreeHead', PART_IMAGE_LEVEL)), get(('LocationFreeHead', '100%'))
    alone = get(('HeatmapHead', LOCATED_ONLY))
    if part and full and full.get(key):
        ratio = part[key] / full[key]
        lines.append(f'25% (image-level) / 100% LocationFreeHead: {metric.format(part[key])} / '
                     f'{metric.format(full[key])} = {ratio:.2f} (target >= 0.90: '
                     f'{_met(ratio >= 0.9)})')
    if part and alone:
        gain = part[key] - alone[key]
        lines.append(f'25% (image-level) against HeatmapHead on the located quarter: '
                     f'{metric.format_gain(gain)} (target >= +0.050: {_met(gain >= 0.05)})')
    hsjp, ref = get(('LocationFreeHead', PART_HSJP)), get(('HeatmapHead', '100%'))
    if hsjp and ref:
        lines.append(f'HSJP-initialised 25% LocationFreeHead {metric.format(hsjp[key])} against '
                     f'HeatmapHead 100% from scratch {metric.format(ref[key])} '
                     f'({_met(hsjp[key] >= ref[key])})')
    off = get(('LocationFreeHead', PRESENCE_OFF))
    for labels, what in ((PART_IMAGE_LEVEL, 'image-level'), (PART_BOX_LABELS, 'box')):
        arm = get(('LocationFreeHead', labels))
        if arm and off:
            lines.append(f'weak losses at 25% ({what} labels) against the same arm without '
                         f'them: {metric.format_gain(arm[key] - off[key])}')
    return lines


def run_benchmark(work_dir: str, num_train: int = 2000, num_val: int = 300,
                  epochs: Optional[int] = None, seed: int = 0, level: str = 'easy',
                  arms: Optional[Sequence[LocationFreeArm]] = None, cam_images: int = 4,
                  log: Optional[Callable[[str], None]] = None, dataset: str = 'generated',
                  data_root: Optional[str] = None, num_people: Optional[int] = None,
                  pretrain_epochs: int = 3) -> List[Dict]:
    """Make the data ready (once), train and test every arm (resuming a half-finished
    benchmark) and write ``results.md``, ``results.json`` and the image-level arm's CAMs.

    Args:
        work_dir: the benchmark's folder.
        num_train, num_val, level: the generated people (a real data set ignores them).
        epochs: epochs of every arm (default: the configs' own).
        seed: seed of the data, the arms and the pretraining.
        arms: the arms (default: the data source's, :data:`ARMS_BY_DATASET`).
        cam_images: test people whose CAMs are drawn.
        dataset, data_root: the data source (``--dataset``, ``--data-root``).
        num_people: train on the first N people of the training split (default all).
        pretrain_epochs: HSJP pretraining epochs of an arm with ``init='hsjp'``.

    Returns:
        list[dict]: One row per arm: ``name``, ``labels``, ``config``, the test metrics
        (``coco/AP``, ``PCK``, ``tPCK``, ...) and ``train_s``; the mean-pose baseline last.
    """
    source = data_source(dataset, data_root, num_train=num_train, num_val=num_val,
                         level=level, seed=seed)
    arms = list(arms or ARMS_BY_DATASET[source.name])
    missing = [a.role for a in arms if not source.has(a.role)]
    if missing:
        raise ValueError(f'the {source.name} data source has no config for the arms {missing}')
    if num_people is not None and not 1 <= num_people <= source.max_labelled():
        # a larger subset (``indices``) would silently be the whole split
        raise ValueError(f'--num-people {num_people}: the {source.name} training split holds '
                         f'at most {source.max_labelled()} people; {source.more_labels_hint()}')
    source.check()
    runner = ExperimentRunner(work_dir, log=log, name='locfree')
    data = source.prepare(runner)
    metric = source.metric
    hsjp = None
    if any(a.init == 'hsjp' for a in arms):
        hsjp = runner.run(_hsjp_pretrain_arm(source, data, pretrain_epochs, seed, num_people))
    rows = []
    for arm in arms:
        config = source.config(arm.role)
        options = arm_options(str(config), data, epochs, seed, num_people)
        if arm.init == 'hsjp':
            options.append('model.backbone.init_cfg.checkpoint='
                           f"{Path(hsjp['work_dir']) / 'transfer.pth'}")
        run = runner.run(Arm(arm.key, config, options))
        test_log = runner.log_dir / f'test_{arm.key}.log'
        sides = side_metrics(test_log.read_text()) if test_log.is_file() else {}
        rows.append(dict(name=arm.name, labels=arm.labels, config=config.name,
                         checkpoint=run['checkpoint'], train_s=run['train_seconds'],
                         **run['test'], **sides))
        runner.say(f"{arm.name}, {arm.labels} location labels: {metric.label} "
                   f"{metric.format(rows[-1].get(metric.key))}  AP "
                   f"{format_ap(rows[-1].get('coco/AP'))}  PCK@0.2 {_fmt(rows[-1].get('PCK'), 3)}"
                   f"  peak places {_fmt(rows[-1].get('peaks/places'))}  left/right "
                   + ' '.join(f'{k} {v:.2f}' for k, v in limb_side_accuracy(rows[-1]).items()))
    mean_pose = _mean_pose(source, data, arms, num_people)
    weak = next((a for a in arms if a.labels == IMAGE_LEVEL),
                next((a for a in arms if a.labels.startswith('0%')), arms[-1]))
    presence, metainfo = presence_matrix(str(source.config(weak.role)), data, seed=seed)
    absent, one_side = absence_rates(presence, metainfo), one_side_rates(presence, metainfo)
    cams = []
    if cam_images:
        from hsjp_mmpose.visualization.pictures import config_with_options, render_dataset_cams
        cfg = config_with_options(source.config(weak.role), data.options(
            source.config(weak.role)), loader='test_dataloader')
        weak_row = next(r for r in rows if r['labels'] == weak.labels)
        cams = render_dataset_cams(cfg, weak_row['checkpoint'], str(runner.work_dir / 'cams'),
                                   cam_images)
    what = (f'{level} level; {num_train} train / {num_val} val images'
            if dataset == 'generated' else source.describe())
    people = f'the first {num_people} training people' if num_people else 'every training person'
    text = '\n'.join([
        '# Location-free pose estimation benchmark', '',
        f'{source.title} ({what}); {people}, the same budget per arm, seed {seed}; '
        f'{metric.axis_label} (ranking), AP (%) and PCK@0.2 of the box on the test split '
        'with ground-truth boxes and flip test, by `mim test`. Image-level labels: which '
        'keypoints the crop shows; box labels: for each person 8 random boxes and whether each '
        'keypoint lies in each, computed from the true keypoints (location labels, however '
        'coarse).', '',
        format_table(rows + ([dict(mean_pose, name='mean training pose', labels='-')]
                             if mean_pose else []), metric), '',
        *[f'- {line}' for line in summary_lines(rows, metric, mean_pose)],
        f'- whole run (data, training, evaluation): {runner.elapsed / 60:.1f} min', '',
        'Left/right accuracy per limb pair, `4 px / 2 px`: the share of test people (both '
        'keypoints visible and at least 4, or 2, heatmap pixels apart) whose predicted left '
        'keypoint lies nearer the true left than the true right (chance 0.5). `-`: no such '
        'person.', '',
        format_side_table(rows), '',
        'Share of training samples in which each keypoint is absent (presence label 0) in the '
        f'image-level arm\'s pipeline ({len(presence)} samples):', '',
        markdown_table(list(absent), [[f'{v:.2f}' for v in absent.values()]]), '',
        'Share of those samples in which exactly one keypoint of a left/right pair is '
        'present (the only ones whose presence labels tell left from right):', '',
        markdown_table(list(one_side), [[f'{v:.2f}' for v in one_side.values()]]), '',
        *([f'CAMs of the image-level arm: {", ".join(Path(p).name for p in cams)} in '
           f'{runner.work_dir / "cams"}', ''] if cams else [])])
    write_report(runner, text, extra=dict(table=rows, absent=absent, one_side_present=one_side,
                                          mean_pose=mean_pose, dataset=dataset,
                                          num_people=num_people))
    return rows


def _hsjp_pretrain_arm(source: DataSource, data, epochs: int, seed: int,
                       num_people: Optional[int]) -> Arm:
    """HSJP pretraining on the benchmark's (unlabelled) training crops."""
    from hsjp_mmpose.experiments.pretraining import pretrain_arm, sources_for
    hsjp = next(x for x in sources_for(source) if x.name == 'hsjp')
    arm = pretrain_arm(hsjp, source, dict(downstream=data), epochs, seed)
    if num_people:
        arm.options.append(f'train_dataloader.dataset.indices={num_people}')
    return arm


def _mean_pose(source: DataSource, data, arms: Sequence[LocationFreeArm],
               num_people: Optional[int]) -> Optional[Dict]:
    """The mean training pose placed in every test box (the HeatmapHead arm's data)."""
    from hsjp_mmpose.evaluation.mean_pose import mean_pose_2d_baseline_of_config
    ref = next((a for a in arms if a.name == 'HeatmapHead'), arms[0])
    config = source.config(ref.role)
    options = data.options(config) + ([f'train_dataloader.dataset.indices={num_people}']
                                      if num_people else [])
    baseline = mean_pose_2d_baseline_of_config(config, options, split='test')
    return {k: float(v) for k, v in baseline.items() if not k.startswith('tPCK/') or
            k == 'tPCK/people'}
