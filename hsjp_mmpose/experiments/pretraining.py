# Copyright (c) hsjp-mmpose contributors.
"""Pretraining sources compared (Choi et al., ICLR 2023) as one list of arms.

Every source pretrains the same small network (ResNet-18 at half width + three
deconvolutions, 128x96 input) for the same number of epochs, then the same fine-tuning
runs on each downstream task; every run records its validation metrics per epoch
(``convergence.json``, :class:`~hsjp_mmpose.engine.hooks.ConvergenceRecorderHook`).

Sources:

* ``scratch``: no pretraining;
* ``hsjp``: heatmap-style jigsaw puzzles on every person crop of the downstream training
  images (labels unused); transfers the whole network except the head's last layer;
* ``jigsaw-cls``: classic jigsaw classification (which permutation of a fixed
  maximal-Hamming set shuffled the crop) on the same crops; transfers the backbone (its
  head does not fit a pose network);
* ``keypoints-2d``: supervised keypoint heatmaps on a labelled *source* set generated with
  another seed and more people per image, disjoint from the downstream data; transfers
  the whole network except the head's last layer;
* ImageNet: configs only (``configs/finetune/*imagenet-init*``); OpenMMLab's checkpoints
  cannot be fetched on machines without internet, so it is listed, not run.

Downstream tasks, each on the first ``num_labelled`` people of the downstream training
split: ``pose2d`` (COCO keypoint AP, ``configs/finetune/td-hm_res18-half_*``) and
``pose3d`` (root-relative 3D joints, MPJPE and P-MPJPE in mm,
``configs/pose3d/td-3d_res18-half_*``).
"""
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from hsjp_mmpose.experiments.convergence import epochs_to_fraction, load_convergence
from hsjp_mmpose.experiments.options import (coco_data_root_options, finetune_options,
                                             init_options, jigsaw_options, load_config,
                                             schedule_options)
from hsjp_mmpose.experiments.report import format_ap, markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner, check_labelled_people

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / 'configs'


@dataclass(frozen=True)
class Source:
    """A pretraining source: its config (``None``: no pretraining), what fine-tuning takes
    from it (``'whole'``: all but the head's last layer; ``'backbone'``) and its data
    (``'downstream'``: the downstream training images, labels unused; ``'source'``: the
    labelled source set)."""

    name: str
    config: Optional[str]
    transfer: str = 'whole'
    data: str = 'downstream'
    puzzle: Optional[Tuple[Tuple[int, int], int]] = None  # ((rows, cols), patch_jitter)
    epochs: Optional[int] = None  # pretraining epochs, when not the benchmark's


SOURCES = (
    Source('scratch', None),
    Source('hsjp', 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'),
    Source('jigsaw-cls', 'jigsaw_cls/jigsaw-cls_res18-half_1xb32-30e_synthetic-person-128x96.py',
           transfer='backbone'),
    Source('keypoints-2d',
           'keypoint_pretrain/td-hm_res18-half_1xb32-12e_synthetic-source-128x96.py',
           data='source'),
)
SOURCE_NAMES = tuple(s.name for s in SOURCES)
HSJP_SOURCE = next(s for s in SOURCES if s.name == 'hsjp')


def hsjp_recipe(text: str) -> Source:
    """An HSJP source with another puzzle, from ``'RxC:J'`` or ``'RxC:J:E'``: a grid of R
    rows and C columns, a patch jitter of J pixels and (optionally) E pretraining epochs,
    e.g. ``'4x3:4'`` -> source ``hsjp-4x3-j4``. The grid must divide the small configs'
    128x96 input (rows 1, 2, 4, 8, ...; columns 1, 2, 3, 4, 6, ...)."""
    parts = text.split(':')
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        rows, cols = (int(v) for v in parts[0].lower().split('x'))
        jitter = int(parts[1])
        epochs = int(parts[2]) if len(parts) > 2 else None
        if jitter < 0 or (epochs is not None and epochs < 1):
            raise ValueError
    except ValueError:
        raise ValueError(f"HSJP recipe {text!r}: write it as 'RxC:J' or 'RxC:J:E' (grid rows x "
                         "columns, patch jitter in px, pretraining epochs), e.g. '4x3:4' or "
                         "'4x3:4:24'") from None
    base = HSJP_SOURCE
    cfg = load_config(CONFIG_DIR / base.config)
    from hsjp_mmpose.datasets.transforms import RandomJigsaw
    try:
        RandomJigsaw(grid=(rows, cols), input_size=tuple(cfg.input_size), patch_jitter=jitter)
    except ValueError as err:
        raise ValueError(f'HSJP recipe {text!r}: {err}') from None
    name = f'hsjp-{rows}x{cols}-j{jitter}' + (f'-e{epochs}' if epochs else '')
    return Source(name, base.config, base.transfer, base.data, ((rows, cols), jitter), epochs)


IMAGENET_CONFIGS = ('configs/finetune/td-hm_res18_imagenet-init_1xb32-30e_synthetic-128x96.py',
                    'configs/finetune/td-hm_res50_imagenet-init_8xb64-210e_coco-256x192.py',
                    'configs/finetune/td-hm_hrnet-w32_imagenet-init_8xb64-210e_coco-256x192.py')


@dataclass(frozen=True)
class Task:
    """A downstream task: its fine-tuning configs from scratch and from a pretrained
    checkpoint, the metric that ranks it and whether higher is better."""

    name: str
    scratch_config: str
    init_config: str
    metric: str
    higher_is_better: bool
    metric_label: str


TASKS = (
    Task('pose2d', 'finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py',
         'finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
         'coco/AP', True, 'COCO AP'),
    Task('pose3d', 'pose3d/td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py',
         'pose3d/td-3d_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
         'MPJPE', False, 'MPJPE (mm)'),
)
TASK_NAMES = tuple(t.name for t in TASKS)


@dataclass
class PretrainingBenchmarkSettings:
    """What the benchmark runs; the defaults fit about 40 minutes on 2 CPU cores."""

    sources: Sequence[str] = SOURCE_NAMES
    tasks: Sequence[str] = TASK_NAMES
    num_train: int = 3000  # downstream training images (all used by self-supervised sources)
    num_val: int = 300
    num_source: int = 1500  # images of the labelled source set (up to 2 people each)
    source_max_people: int = 2
    num_labelled: int = 400  # labelled people for each downstream task
    data_level: str = 'easy'
    pretrain_epochs: int = 12
    finetune_epochs: int = 30
    val_interval: int = 3  # fine-tuning epochs between validations (the curves)
    fraction: float = 0.9  # "epochs to reach 90% of the best final score"
    seed: int = 0


def check_settings(s: PretrainingBenchmarkSettings) -> None:
    """Fail at once, naming the setting, before any data or training."""
    for name in ('num_train', 'num_val', 'num_source', 'num_labelled', 'pretrain_epochs',
                 'finetune_epochs', 'val_interval'):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an integer >= 1, got {value!r}')
    unknown = [x for x in s.sources if x not in SOURCE_NAMES]
    if unknown or not s.sources:
        raise ValueError(f'sources: unknown {unknown}; choose from {list(SOURCE_NAMES)}')
    unknown = [x for x in s.tasks if x not in TASK_NAMES]
    if unknown or not s.tasks:
        raise ValueError(f'tasks: unknown {unknown}; choose from {list(TASK_NAMES)}')
    if not 0 < s.fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {s.fraction}')
    from hsjp_mmpose.synthetic.levels import get_data_level
    most = s.num_train * get_data_level(s.data_level).max_people
    if s.num_labelled > most:
        raise ValueError(f'num_labelled is {s.num_labelled}, more people than num_train '
                         f'({s.num_train}) downstream images of the {s.data_level} level can '
                         f'hold ({most}); lower num_labelled or raise num_train')


def pretrain_arm(source: Source, data: Dict[str, Path], epochs: int,
                 seed: int) -> Optional[Arm]:
    """The arm that pretrains ``source`` for ``epochs`` on its data set in ``data`` (keyed by
    ``source.data``), validated once at the end; ``None`` for scratch (nothing to pretrain).
    Shared by every benchmark that compares pretraining sources."""
    if source.config is None:
        return None
    config = CONFIG_DIR / source.config
    epochs = source.epochs or epochs
    options = (coco_data_root_options(data[source.data])
               + schedule_options(config, epochs)
               + [f'train_cfg.val_interval={epochs}', f'randomness.seed={seed}'])
    if source.puzzle:
        options += jigsaw_options(config, *source.puzzle)
    return Arm(f'pretrain_{source.name}', config, options, test=False)


class PretrainingBenchmark:
    """Runs the pretraining-source matrix in ``work_dir`` (resumable) and reports it."""

    def __init__(self, work_dir, settings: Optional[PretrainingBenchmarkSettings] = None,
                 log: Optional[Callable[[str], None]] = None) -> None:
        self.settings = settings or PretrainingBenchmarkSettings()
        check_settings(self.settings)
        self.runner = ExperimentRunner(work_dir, log=log, name='pretraining')
        self.work_dir = self.runner.work_dir
        # a resumed benchmark adds to the time its earlier invocations took
        self._earlier = dict(seconds=self.runner.extra.get('total_seconds', 0.),
                             invocations=self.runner.extra.get('invocations', 0))

    # ------------------------------------------------------------------ arms
    def _pretrain(self, source: Source, data: Dict[str, Path]) -> Optional[dict]:
        arm = pretrain_arm(source, data, self.settings.pretrain_epochs, self.settings.seed)
        return None if arm is None else self.runner.run(arm)

    def _finetune(self, task: Task, source: Source, pretrain: Optional[dict],
                  data_root: Path) -> dict:
        s = self.settings
        config = CONFIG_DIR / (task.init_config if pretrain else task.scratch_config)
        options = finetune_options(config, data_root, s.finetune_epochs, s.num_labelled,
                                   s.val_interval, s.seed)
        if pretrain:
            options += init_options(Path(pretrain['work_dir']), source.transfer, config)
        return self.runner.run(Arm(f'{task.name}_{source.name}', config, options))

    def run(self) -> dict:
        """Run every arm, write ``results.md``, ``results.json`` and ``convergence.png``."""
        s = self.settings
        start = time.time()
        sources = [x for x in SOURCES if x.name in s.sources]
        tasks = [t for t in TASKS if t.name in s.tasks]
        data = dict(downstream=self.runner.data(
            f'{s.data_level}_seed{s.seed}', s.num_train, s.num_val, seed=s.seed,
            level=s.data_level))
        check_labelled_people(s.num_labelled, CONFIG_DIR / TASKS[0].scratch_config,
                              data['downstream'])
        if any(x.data == 'source' for x in sources):
            data['source'] = self.runner.data(
                f'source_{s.data_level}_seed{s.seed + 1000}', s.num_source, min(50, s.num_val),
                seed=s.seed + 1000, level=s.data_level, max_people=s.source_max_people)
        rows = []
        for source in sources:
            pretrain = self._pretrain(source, data)
            row = dict(source=source.name, transfer=source.transfer if pretrain else None,
                       pretrain_s=pretrain['train_seconds'] if pretrain else 0.)
            for task in tasks:
                run = self._finetune(task, source, pretrain, data['downstream'])
                row[task.name] = self._task_result(run)
            row['wall_s'] = round(row['pretrain_s'] + sum(
                row[t.name]['train_s'] for t in tasks), 1)
            rows.append(row)
            self.runner.save(extra=self._totals(start, settings=asdict(self.settings),
                                                table=rows))
        add_convergence_epochs(rows, tasks, s.fraction)
        self.results = self._totals(start, settings=asdict(self.settings), table=rows)
        self.write_report()
        return self.results

    def _totals(self, start: float, **results) -> dict:
        """``results`` with the wall time of this and earlier invocations."""
        return dict(results,
                    total_seconds=round(self._earlier['seconds'] + time.time() - start, 1),
                    invocations=self._earlier['invocations'] + 1)

    @staticmethod
    def _task_result(run: dict) -> dict:
        return dict(test=run['test'], train_s=run['train_seconds'], work_dir=run['work_dir'])

    # ---------------------------------------------------------------- report
    def write_report(self) -> str:
        text = format_report(self.results)
        write_report(self.runner, text, extra=self.results,
                     plot=lambda path: plot_curves(self.results, path),
                     plot_name='convergence.png')
        return text


def add_convergence_epochs(rows: List[dict], tasks: Sequence[Task], fraction: float) -> None:
    """Give every row, per task, the first validated epoch at which it came within
    ``fraction`` of the task's best final score over all sources (``epochs_to_fraction``:
    one common target, so that a source converging early to a poor score does not look
    fast) and of its own best (``epochs_to_own_fraction``: the speed of its own curve)."""
    for task in tasks:
        finals = [row[task.name]['test'].get(task.metric) for row in rows]
        finals = [v for v in finals if v is not None]
        if not finals:
            continue
        best = max(finals) if task.higher_is_better else min(finals)
        for row in rows:
            records = load_convergence(row[task.name]['work_dir'])
            row[task.name]['target'] = best
            row[task.name]['epochs_to_fraction'] = epochs_to_fraction(
                records, task.metric, fraction, task.higher_is_better, reference=best)
            row[task.name]['epochs_to_own_fraction'] = epochs_to_fraction(
                records, task.metric, fraction, task.higher_is_better)


def _epochs(value: Optional[int]) -> str:
    return '-' if value is None else str(value)


def _mm(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.1f}'


def format_report(results: dict) -> str:
    """The table as Markdown."""
    s = results['settings']
    pct = round(100 * s['fraction'])
    tasks = [t for t in TASKS if t.name in s['tasks']]
    out = ['# Pretraining sources compared', '',
           f"Generated people ({s['data_level']} level). Every source pretrains the same "
           f"network (ResNet-18 at half width + 3 deconvolutions, 128x96) for "
           f"{s['pretrain_epochs']} epochs; each downstream task then fine-tunes it for "
           f"{s['finetune_epochs']} epochs on the first {s['num_labelled']} labelled people "
           f"of {s['num_train']} downstream training images, validated every "
           f"{s['val_interval']} epochs on {s['num_val']} images. Self-supervised sources "
           f"pretrain on the downstream training crops (labels unused); keypoints-2d on "
           f"{s['num_source']} other labelled images (seed {s['seed'] + 1000}, up to "
           f"{s['source_max_people']} people each). Scores of the last checkpoint by "
           f"`mim test`; 'epochs to {pct}%': the first validated fine-tuning epoch within "
           f"{pct}% of the task's best final score over all sources (AP >= {pct}% of it; "
           f"MPJPE <= it / {s['fraction']}); '-': never; 'own' is the same against the run's "
           f"own best.", '']
    head = ['source', 'transfer', 'pretrain (s)']
    for t in tasks:
        if t.name == 'pose2d':
            head += ['2D AP', '2D AP .5', f'2D epochs to {pct}% (own)']
        else:
            head += ['3D MPJPE (mm)', '3D P-MPJPE (mm)', f'3D epochs to {pct}% (own)']
    head.append('wall time (s)')
    cells_of_rows = []
    for row in results['table']:
        cells = [row['source'], row['transfer'] or '-', f"{row['pretrain_s']:.0f}"]
        for t in tasks:
            r = row[t.name]
            e = (f"{_epochs(r.get('epochs_to_fraction'))} "
                 f"({_epochs(r.get('epochs_to_own_fraction'))})")
            if t.name == 'pose2d':
                cells += [format_ap(r['test'].get('coco/AP')),
                          format_ap(r['test'].get('coco/AP .5')), e]
            else:
                cells += [_mm(r['test'].get('MPJPE')), _mm(r['test'].get('P-MPJPE')), e]
        cells.append(f"{row['wall_s']:.0f}")
        cells_of_rows.append(cells)
    out.append(markdown_table(head, cells_of_rows))
    out += ['', 'ImageNet initialisation: configs only, not run here (OpenMMLab checkpoints '
            'need internet): ' + ', '.join(f'`{c}`' for c in IMAGENET_CONFIGS) + '.']
    out += ['', *answers(results)]
    if results.get('total_seconds'):
        runs = results.get('invocations', 1)
        out += ['', f"Whole benchmark: {results['total_seconds'] / 60:.1f} min"
                + (f' (over {runs} invocations; a resumed run reuses finished arms).'
                   if runs > 1 else '.')]
    return '\n'.join(out) + '\n'


def _score(row: dict, task: str) -> Optional[float]:
    r = row.get(task)
    if not r:
        return None
    return r['test'].get('coco/AP' if task == 'pose2d' else 'MPJPE')


def answers(results: dict) -> List[str]:
    """The study's questions, answered from this run's numbers."""
    rows = {r['source']: r for r in results['table']}
    lines = []
    for task in (t for t in TASKS if t.name in results['settings']['tasks']):
        scored = [(n, _score(r, task.name)) for n, r in rows.items()
                  if _score(r, task.name) is not None]
        if scored:
            best = (max if task.higher_is_better else min)(scored, key=lambda x: x[1])
            value = format_ap(best[1]) if task.name == 'pose2d' else _mm(best[1])
            lines.append(f'- Best source for {task.name} ({task.metric_label}): {best[0]} '
                         f'({value}).')
    if 'hsjp' in rows and 'jigsaw-cls' in rows:
        for task in (t for t in TASKS if t.name in results['settings']['tasks']):
            a, b = _score(rows['hsjp'], task.name), _score(rows['jigsaw-cls'], task.name)
            if a is None or b is None:
                continue
            better = a > b if task.higher_is_better else a < b
            fmt = format_ap if task.name == 'pose2d' else _mm
            if abs(a - b) <= 0.01 * max(abs(a), abs(b)):
                verdict = 'is level with'  # within 1%: no winner at one seed
            else:
                verdict = 'beats' if better else 'does not beat'
            lines.append(f'- HSJP {verdict} jigsaw classification on {task.name}: '
                         f'{fmt(a)} vs {fmt(b)}.')
    if 'keypoints-2d' in rows:
        for task in (t for t in TASKS if t.name in results['settings']['tasks']):
            kp = rows['keypoints-2d'][task.name].get('epochs_to_fraction')
            others = {n: r[task.name].get('epochs_to_fraction') for n, r in rows.items()
                      if n in ('hsjp', 'jigsaw-cls')}
            if kp and others:
                faster = all(e is None or kp < e for e in others.values())
                verdict = 'converges faster than' if faster else 'does not converge faster than'
                pct = round(100 * results['settings']['fraction'])
                lines.append(
                    f'- keypoints-2d {verdict} the self-supervised sources on {task.name}: '
                    f"{kp} epochs to {pct}% of the task's best vs "
                    + ', '.join(f"{n} {e or 'never'}" for n, e in others.items())
                    + '.')
    return lines


def plot_curves(results: dict, path: Path) -> str:
    """One panel per downstream task: the validation metric per fine-tuning epoch of every
    source (AP in percent), by
    :func:`~hsjp_mmpose.visualization.curves.plot_convergence_panels`."""
    from hsjp_mmpose.visualization.curves import plot_convergence_panels
    panels = []
    for task in (t for t in TASKS if t.name in results['settings']['tasks']):
        percent = task.name == 'pose2d'
        panels.append(dict(
            runs={row['source']: row[task.name]['work_dir'] for row in results['table']},
            metric=task.metric, scale=100 if percent else 1, xlabel='fine-tuning epoch',
            ylabel=task.metric_label + (' (%)' if percent else ''),
            title=f'{task.name}: validation {task.metric_label}'))
    return plot_convergence_panels(panels, path)
