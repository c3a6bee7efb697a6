# Copyright (c) hsjp-mmpose contributors.
"""Location-free pose estimation against a standard heatmap head, at equal budgets.

Four arms train on the same generated people for the same number of epochs and are
evaluated the same way (COCO keypoint AP with ground-truth boxes and flip test, and
PCK@0.2 normalised by the box): ``HeatmapHead`` with every location label, and
``LocationFreeHead`` with 0% (presence labels only), 25% and 100% location labels.
"""
import copy
import json
import os.path as osp
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / 'location_free'


@dataclass
class Arm:
    """One benchmark arm: a name, its location-label share and its config file."""
    name: str
    labels: str
    config: str


ARMS = (
    Arm('HeatmapHead', '100%', 'td-hm_res18-half_1xb32-12e_synthetic-128x96.py'),
    Arm('LocationFreeHead', '0% (weak only)',
        'locfree_res18-half_1xb32-12e_synthetic-loc0-128x96.py'),
    Arm('LocationFreeHead', '25%', 'locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py'),
    Arm('LocationFreeHead', '100%', 'locfree_res18-half_1xb32-12e_synthetic-loc100-128x96.py'),
)


def arm_config(config: str, data_root: str, work_dir: str, epochs: Optional[int] = None,
               seed: int = 0, num_workers: int = 1, batch_size: Optional[int] = None
               ) -> Config:
    """Load an arm's config and set its data, budget, seed and output folder.

    ``epochs`` rescales the schedule (max epochs, cosine length, checkpoint interval);
    validation runs once, after training (see :func:`run_arm`).
    """
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    data_root = osp.join(str(data_root), '')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.dataset.data_root = data_root
        loader.num_workers = num_workers
        loader.persistent_workers = num_workers > 0
        if batch_size is not None:
            loader.batch_size = batch_size
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
        for sched in cfg.param_scheduler:
            if sched.get('by_epoch', True):
                sched.update({k: epochs for k in ('T_max', 'end') if k in sched})
    epochs = cfg.train_cfg.max_epochs
    # validate once, after training, through Runner.val()
    cfg.train_cfg.val_interval = epochs + 1
    cfg.train_cfg.val_begin = epochs + 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs,
                                        max_keep_ckpts=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    return cfg


def run_arm(cfg: Config) -> Dict[str, float]:
    """Train, then validate; the metrics plus ``train_s`` and ``val_s`` (seconds)."""
    from mmengine.runner import Runner
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    start = time.perf_counter()
    runner.train()
    trained = time.perf_counter()
    metrics = dict(runner.val())
    metrics.update(train_s=trained - start, val_s=time.perf_counter() - trained)
    return metrics


def format_table(rows: Sequence[Dict]) -> str:
    """Markdown table of the arms' AP, AP50, PCK@0.2 and times."""
    lines = ['| head | location labels | AP | AP50 | PCK@0.2 | train s | val s |',
             '|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(f"| {r['name']} | {r['labels']} | {r['coco/AP']:.3f} | "
                     f"{r['coco/AP .5']:.3f} | {r['PCK']:.3f} | {r['train_s']:.0f} | "
                     f"{r['val_s']:.0f} |")
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
        parts.append(f"AP ratio not meaningful (reference AP {den['coco/AP']:.4f} < {min_ap})")
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
    if part and full:
        lines.append(_ratio_line('25% / 100% location labels (LocationFreeHead)', part, full,
                                 target=0.9))
    if part and ref:
        lines.append(_ratio_line('25% LocationFreeHead / 100% HeatmapHead', part, ref))
    if weak:
        lines.append(f"weak only: AP {weak['coco/AP']:.4f}, PCK@0.2 {weak['PCK']:.3f}")
    return lines


def run_benchmark(work_dir: str, data_root: Optional[str] = None, num_train: int = 1000,
                  num_val: int = 200, epochs: Optional[int] = None, seed: int = 0,
                  arms: Sequence[Arm] = ARMS, config_dir: Path = CONFIG_DIR,
                  num_workers: int = 1, batch_size: Optional[int] = None,
                  log=print) -> List[Dict]:
    """Generate data (unless ``data_root``), train and evaluate every arm.

    Writes ``results.md`` (the table and the target checks) and ``results.json`` (the
    rows) into ``work_dir``.

    Returns:
        list[dict]: One row per arm: ``name``, ``labels``, ``config``, the metrics
        (``coco/AP``, ``coco/AP .5``, ``PCK``, ...), ``train_s`` and ``val_s``.
    """
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    run_start = time.perf_counter()
    if data_root is None:
        from hsjp_mmpose.datasets.synthetic import generate_synthetic_coco
        data_root = work / 'data'
        start = time.perf_counter()
        generate_synthetic_coco(data_root, num_train=num_train, num_val=num_val, seed=seed)
        log(f'generated {num_train} train / {num_val} val images in {data_root} '
            f'({time.perf_counter() - start:.0f} s)')
    rows = []
    for i, arm in enumerate(arms):
        cfg = arm_config(str(Path(config_dir) / arm.config), str(data_root),
                         str(work / f'arm{i}_{Path(arm.config).stem}'), epochs=epochs,
                         seed=seed, num_workers=num_workers, batch_size=batch_size)
        log(f'[{i + 1}/{len(arms)}] {arm.name}, {arm.labels} location labels: {arm.config}')
        metrics = run_arm(cfg)
        rows.append(dict(name=arm.name, labels=arm.labels, config=arm.config, **metrics))
        log(f"    AP {metrics['coco/AP']:.3f}  AP50 {metrics['coco/AP .5']:.3f}  "
            f"PCK@0.2 {metrics['PCK']:.3f}  ({metrics['train_s']:.0f} s train)")
    total_s = time.perf_counter() - run_start
    table = format_table(rows)
    epochs_run = epochs if epochs is not None else Config.fromfile(
        str(Path(config_dir) / arms[0].config)).train_cfg.max_epochs
    text = '\n'.join([
        '# Location-free pose estimation benchmark', '',
        f'Generated people ({data_root}), {epochs_run} epochs per arm, seed {seed}; '
        'COCO AP with ground-truth boxes and flip test; PCK@0.2 normalised by the box.',
        '', table, '', *[f'- {line}' for line in summary_lines(rows)],
        f'- whole run (data, training, evaluation): {total_s / 60:.1f} min', ''
    ])
    (work / 'results.md').write_text(text)
    (work / 'results.json').write_text(json.dumps(rows, indent=2))
    log(table)
    for line in summary_lines(rows):
        log(line)
    log(f'whole run: {total_s / 60:.1f} min; table written to {work / "results.md"}')
    return rows
