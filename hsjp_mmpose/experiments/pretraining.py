# Copyright (c) hsjp-mmpose contributors.
"""Pretraining sources compared (Choi et al., ICLR 2023) as one list of arms.

Every source pretrains the data source's small network (:mod:`.data_sources`: the same
network and input size as its fine-tuning configs) for the same number of epochs, then the
same fine-tuning runs on each downstream task; every run records its validation metrics
per epoch (``convergence.json``, :class:`~hsjp_mmpose.engine.hooks.ConvergenceRecorderHook`).

Sources (:func:`sources_for` a data source):

* ``scratch``: no pretraining;
* ``hsjp``: heatmap-style jigsaw puzzles on every person crop of the downstream training
  split (labels unused); transfers the whole network except the head's last layer;
* ``jigsaw-cls``: classic jigsaw classification (which permutation of a fixed
  maximal-Hamming set shuffled the crop) on the same crops; transfers the backbone (its
  head does not fit a pose network);
* ``keypoints-2d``: supervised keypoint heatmaps on a labelled set of *generated* people
  disjoint from the downstream data (another seed, up to two people per image);
  transfers the whole network except the head's last layer. On LSP Extended it is called
  ``keypoints-2d-generated`` and learns LSP's joints (MMPose's ``KeypointConverter``);
* ``hsjp-generated`` (real photos only): HSJP on those generated people instead of the
  photos: does a source that costs no photo help on photos?
* ImageNet: configs only (``configs/finetune/*imagenet-init*``); OpenMMLab's checkpoints
  cannot be fetched on machines without internet, so it is listed, not run.

Downstream tasks (:func:`~.benchmark.tasks_for`), each on the first ``num_labelled`` people
of the downstream training split: ``pose2d`` (ranked by the data source's metric: COCO AP
or PCK@0.2 of the torso) and, on generated people, ``pose3d`` (root-relative 3D joints,
MPJPE and P-MPJPE in mm).
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from hsjp_mmpose.experiments.benchmark import (TASK_NAMES, Benchmark, Task, check_positive,
                                               footer, settings_for, tasks_for)
from hsjp_mmpose.experiments.convergence import epochs_to_fraction, load_convergence
from hsjp_mmpose.experiments.data_sources import (DataSource, GeneratedPeople,
                                                  PreparedData)
from hsjp_mmpose.experiments.options import (finetune_schedule_options, init_options,
                                             jigsaw_options, load_config, pipeline_index,
                                             schedule_options, transform_options)
from hsjp_mmpose.experiments.report import markdown_table
from hsjp_mmpose.experiments.runner import Arm, check_labelled_people

__all__ = ['Source', 'SOURCES', 'SOURCE_NAMES', 'sources_for', 'hsjp_recipe',
           'generated_source_set', 'prepare_source_data', 'pretrain_arm', 'TASK_NAMES',
           'PretrainingBenchmarkSettings', 'check_settings', 'PretrainingBenchmark',
           'add_convergence_epochs', 'format_report', 'answers', 'plot_curves',
           'IMAGENET_CONFIGS']


@dataclass(frozen=True)
class Source:
    """A pretraining source: the data source's config role it pretrains with (``None``:
    no pretraining), what fine-tuning takes from it (``'whole'``: all but the head's last
    layer; ``'backbone'``), its data (``'downstream'``: the downstream training split,
    labels unused unless the role is supervised; ``'generated'``: a set of generated
    people, :func:`generated_source_set`), and for HSJP recipes the puzzle
    ``((rows, cols), patch_jitter)``, the pretraining epochs and the colour jitter."""

    name: str
    role: Optional[str]
    transfer: str = 'whole'
    data: str = 'downstream'
    puzzle: Optional[Tuple[Tuple[int, int], int]] = None
    epochs: Optional[int] = None
    color_jitter: Optional[float] = None


_SCRATCH = Source('scratch', None)
_HSJP = Source('hsjp', 'hsjp')
_JIGSAW_CLS = Source('jigsaw-cls', 'jigsaw-cls', transfer='backbone')
#: The sources of each data source, in report order.
SOURCES_BY_DATASET: Dict[str, Tuple[Source, ...]] = {
    'generated': (_SCRATCH, _HSJP, _JIGSAW_CLS,
                  Source('keypoints-2d', 'keypoints-2d', data='generated')),
    'lsp-extended': (_SCRATCH, _HSJP, _JIGSAW_CLS,
                     Source('hsjp-generated', 'hsjp', data='generated'),
                     Source('keypoints-2d-generated', 'keypoints-2d', data='generated')),
}
#: The generated people's sources (the default data source).
SOURCES = SOURCES_BY_DATASET['generated']
SOURCE_NAMES = tuple(dict.fromkeys(x.name for v in SOURCES_BY_DATASET.values() for x in v))
IMAGENET_CONFIGS = ('configs/finetune/td-hm_res18_imagenet-init_1xb32-30e_synthetic-128x96.py',
                    'configs/finetune/td-hm_res50_imagenet-init_8xb64-210e_coco-256x192.py',
                    'configs/finetune/td-hm_hrnet-w32_imagenet-init_8xb64-210e_coco-256x192.py')


def sources_for(source: DataSource) -> Tuple[Source, ...]:
    """The pretraining sources a data source offers."""
    return SOURCES_BY_DATASET[source.name]


def hsjp_recipe(text: str, source: Optional[DataSource] = None) -> Source:
    """An HSJP source with another puzzle, from ``'RxC:J'``, ``'RxC:J:E'`` or
    ``'RxC:J:E:C'``: a grid of R rows and C columns, a patch jitter of J pixels,
    optionally E pretraining epochs (0 or empty: the benchmark's) and a per-patch colour
    jitter C (the config's is 0.2), e.g. ``'4x3:4'`` -> source ``hsjp-4x3-j4``,
    ``'2x2:4::0'`` -> ``hsjp-2x2-j4-c0``. The grid must divide the data source's input
    size (128x96 for generated people, 128x128 for LSP Extended)."""
    parts = text.split(':')
    try:
        if len(parts) not in (2, 3, 4):
            raise ValueError
        rows, cols = (int(v) for v in parts[0].lower().split('x'))
        jitter = int(parts[1])
        epochs = int(parts[2]) if len(parts) > 2 and parts[2] else None
        color = float(parts[3]) if len(parts) > 3 else None
        if jitter < 0 or (epochs is not None and epochs < 1) or (color is not None
                                                                 and color < 0):
            raise ValueError
    except ValueError:
        raise ValueError(f"HSJP recipe {text!r}: write it as 'RxC:J', 'RxC:J:E' or "
                         "'RxC:J:E:C' (grid rows x columns, patch jitter in px, pretraining "
                         "epochs, colour jitter), e.g. '4x3:4', '4x3:4:24' or '2x2:4::0'"
                         ) from None
    config = (source or GeneratedPeople()).config(_HSJP.role)
    from hsjp_mmpose.datasets.transforms import RandomJigsaw
    try:
        RandomJigsaw(grid=(rows, cols), input_size=tuple(load_config(config).input_size),
                     patch_jitter=jitter)
    except ValueError as err:
        raise ValueError(f'HSJP recipe {text!r}: {err}') from None
    name = (f'hsjp-{rows}x{cols}-j{jitter}' + (f'-e{epochs}' if epochs else '')
            + (f'-c{color:g}' if color is not None else ''))
    return Source(name, _HSJP.role, _HSJP.transfer, _HSJP.data, ((rows, cols), jitter), epochs,
                  color)


def generated_source_set(settings) -> GeneratedPeople:
    """The generated people the ``'generated'`` sources pretrain on: ``num_source``
    images of the ``data_level`` level, generator seed ``seed + 1000`` (disjoint from the
    downstream people), up to ``source_max_people`` people each."""
    return GeneratedPeople(
        num_train=settings.num_source, num_val=min(50, settings.num_val),
        level=settings.data_level, seed=settings.seed + 1000,
        generator_options=dict(max_people=settings.source_max_people),
        data_name=f'source_{settings.data_level}_seed{settings.seed + 1000}')


def prepare_source_data(runner, source: DataSource, sources: Sequence[Source],
                        settings) -> Dict[str, PreparedData]:
    """The data sets the benchmark needs: ``'downstream'`` always, ``'generated'`` when a
    source pretrains on generated people."""
    data = dict(downstream=source.prepare(runner))
    if any(x.data == 'generated' for x in sources):
        data['generated'] = generated_source_set(settings).prepare(runner)
    return data


def pretrain_arm(source: Source, data_source: DataSource, data: Dict[str, PreparedData],
                 epochs: int, seed: int) -> Optional[Arm]:
    """The arm that pretrains ``source`` for ``epochs`` on its data set in ``data`` (keyed by
    ``source.data``), validated once at the end; ``None`` for scratch (nothing to pretrain).
    Shared by every benchmark that compares pretraining sources."""
    if source.role is None:
        return None
    config = data_source.config(source.role)
    epochs = source.epochs or epochs
    options = (data[source.data].options(config)
               + schedule_options(config, epochs)
               + [f'train_cfg.val_interval={epochs}', f'randomness.seed={seed}'])
    if source.puzzle:
        options += jigsaw_options(config, *source.puzzle)
    if source.color_jitter is not None:
        options += transform_options(config, 'RandomJigsaw', ['train_dataloader'],
                                     color_jitter=source.color_jitter)
    return Arm(f'pretrain_{source.name}', config, options, test=False)


def puzzle_of(data_source: DataSource) -> Tuple[Tuple[int, int], int]:
    """The default HSJP puzzle of a data source's config: ``((rows, cols), jitter)``."""
    cfg = load_config(data_source.config(_HSJP.role))
    step = cfg.train_dataloader.dataset.pipeline[
        pipeline_index(cfg, 'train_dataloader', 'RandomJigsaw')]
    return tuple(step['grid']), step['patch_jitter']


@dataclass
class PretrainingBenchmarkSettings:
    """What the benchmark runs; the defaults fit about 40 minutes on 2 CPU cores.
    ``dataset`` / ``data_root``: the data source; ``num_train``, ``num_val`` and
    ``data_level`` describe the generated downstream people (ignored for real photos)."""

    sources: Sequence[str] = tuple(x.name for x in SOURCES)
    tasks: Sequence[str] = TASK_NAMES
    dataset: str = 'generated'
    data_root: Optional[str] = None
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

    #: what a real data set changes (LSP Extended: 8,000 training crops, 128x128)
    DATASET_DEFAULTS = {'lsp-extended': dict(
        sources=tuple(x.name for x in SOURCES_BY_DATASET['lsp-extended']),
        tasks=('pose2d', ), num_labelled=500, pretrain_epochs=6, finetune_epochs=40,
        val_interval=5)}

    @classmethod
    def for_dataset(cls, **values) -> 'PretrainingBenchmarkSettings':
        return settings_for(cls, cls.DATASET_DEFAULTS, **values)


def check_settings(s: PretrainingBenchmarkSettings,
                   source: Optional[DataSource] = None) -> None:
    """Fail at once, naming the setting, before any data or training."""
    check_positive(s, ('num_train', 'num_val', 'num_source', 'num_labelled', 'pretrain_epochs',
                       'finetune_epochs', 'val_interval'))
    source = source or PretrainingBenchmark.data_source(s)
    names = [x.name for x in sources_for(source)]
    unknown = [x for x in s.sources if x not in names]
    if unknown or not s.sources:
        raise ValueError(f'sources: unknown {unknown} for the {source.name} data; choose from '
                         f'{names}')
    tasks = [t.name for t in tasks_for(source)]
    unknown = [x for x in s.tasks if x not in tasks]
    if unknown or not s.tasks:
        raise ValueError(f'tasks: unknown {unknown} for the {source.name} data; choose from '
                         f'{tasks}')
    if not 0 < s.fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {s.fraction}')
    from hsjp_mmpose.synthetic.levels import get_data_level
    get_data_level(s.data_level)
    most = source.max_labelled()
    if s.num_labelled > most:
        where = (f'num_train ({s.num_train}) downstream images of the {s.data_level} level '
                 'can hold' if isinstance(source, GeneratedPeople)
                 else f'the {source.title} training split holds')
        raise ValueError(f'num_labelled is {s.num_labelled}, more people than {where} '
                         f'({most}); {source.more_labels_hint()}')


class PretrainingBenchmark(Benchmark):
    """Runs the pretraining-source matrix in ``work_dir`` (resumable) and reports it."""

    name = 'pretraining'
    settings_class = PretrainingBenchmarkSettings
    plot_name = 'convergence.png'

    @staticmethod
    def check(settings, source) -> None:
        check_settings(settings, source)

    def _finetune(self, task: Task, source: Source, pretrain: Optional[dict],
                  data: PreparedData) -> dict:
        s = self.settings
        config = task.init_config(self.source) if pretrain else task.scratch_config(self.source)
        options = data.options(config) + finetune_schedule_options(
            config, s.finetune_epochs, s.num_labelled, s.val_interval, s.seed)
        if pretrain:
            options += init_options(Path(pretrain['work_dir']), source.transfer, config)
        return self.runner.run(Arm(f'{task.name}_{source.name}', config, options))

    def run(self) -> dict:
        """Run every arm, write ``results.md``, ``results.json`` and ``convergence.png``."""
        s = self.settings
        sources = [x for x in sources_for(self.source) if x.name in s.sources]
        tasks = [t for t in tasks_for(self.source) if t.name in s.tasks]
        data = prepare_source_data(self.runner, self.source, sources, s)
        check_labelled_people(s.num_labelled, tasks[0].scratch_config(self.source),
                              data['downstream'].train, self.source.more_labels_hint())
        rows = []
        for source in sources:
            arm = pretrain_arm(source, self.source, data, s.pretrain_epochs, s.seed)
            pretrain = self.runner.run(arm) if arm else None
            row = dict(source=source.name, transfer=source.transfer if pretrain else None,
                       pretrain_s=pretrain['train_seconds'] if pretrain else 0.)
            for task in tasks:
                run = self._finetune(task, source, pretrain, data['downstream'])
                row[task.name] = dict(test=run['test'], train_s=run['train_seconds'],
                                      work_dir=run['work_dir'])
            row['wall_s'] = round(row['pretrain_s'] + sum(
                row[t.name]['train_s'] for t in tasks), 1)
            rows.append(row)
            self.save(table=rows)
        add_convergence_epochs(rows, tasks, s.fraction)
        self.results = self.totals(settings=self.settings_dict(), table=rows)
        self.write_report()
        return self.results

    def format_report(self, results: dict) -> str:
        return format_report(results)

    def plot(self, results: dict, path: Path) -> str:
        return plot_curves(results, path)


def _tasks(results: dict) -> List[Task]:
    s = results['settings']
    source = PretrainingBenchmark.data_source(
        PretrainingBenchmarkSettings(**{k: v for k, v in s.items()
                                        if k in PretrainingBenchmarkSettings.__dataclass_fields__}))
    return [t for t in tasks_for(source) if t.name in s['tasks']]


def add_convergence_epochs(rows: List[dict], tasks: Sequence[Task], fraction: float) -> None:
    """Give every row, per task, the first validated epoch at which it came within
    ``fraction`` of the task's best final score over all sources (``epochs_to_fraction``:
    one common target, so that a source converging early to a poor score does not look
    fast) and of its own best (``epochs_to_own_fraction``: the speed of its own curve)."""
    for task in tasks:
        metric = task.metric.key
        finals = [row[task.name]['test'].get(metric) for row in rows]
        finals = [v for v in finals if v is not None]
        if not finals:
            continue
        best = max(finals) if task.higher_is_better else min(finals)
        for row in rows:
            records = load_convergence(row[task.name]['work_dir'])
            row[task.name]['target'] = best
            row[task.name]['epochs_to_fraction'] = epochs_to_fraction(
                records, metric, fraction, task.higher_is_better, reference=best)
            row[task.name]['epochs_to_own_fraction'] = epochs_to_fraction(
                records, metric, fraction, task.higher_is_better)


def _epochs(value: Optional[int]) -> str:
    return '-' if value is None else str(value)


def _mm(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.1f}'


def _describe(s: dict) -> str:
    if s.get('dataset', 'generated') == 'generated':
        return (f"Generated people ({s['data_level']} level), {s['num_train']} downstream "
                f"training images, validated on {s['num_val']} images")
    return ('LSP Extended (real photos): fine-tuning on its training split, validated on its '
            'val split, the table on its test split')


def format_report(results: dict) -> str:
    """The table as Markdown."""
    s = results['settings']
    pct = round(100 * s['fraction'])
    tasks = _tasks(results)
    out = ['# Pretraining sources compared', '',
           f"{_describe(s)}. Every source pretrains the same network (ResNet-18 at half "
           f"width + 3 deconvolutions) for {s['pretrain_epochs']} epochs; each downstream "
           f"task then fine-tunes it for {s['finetune_epochs']} epochs on the first "
           f"{s['num_labelled']} labelled people, validated every {s['val_interval']} "
           f"epochs. Self-supervised sources pretrain on the downstream training crops (labels "
           f"unused); the generated sources on {s['num_source']} generated images (seed "
           f"{s['seed'] + 1000}, up to {s['source_max_people']} people each). Scores of the "
           f"last checkpoint by `mim test`; 'epochs to {pct}%': the first validated "
           f"fine-tuning epoch within {pct}% of the task's best final score over all sources "
           f"(higher-is-better scores >= {pct}% of it; MPJPE <= it / {s['fraction']}); '-': "
           "never; 'own' is the same against the run's own best.", '']
    head = ['source', 'transfer', 'pretrain (s)']
    for t in tasks:
        if t.name == 'pose2d':
            extra = 'AP .5' if t.metric.key == 'coco/AP' else 'AP'
            head += [f'2D {t.metric.label}', f'2D {extra}', f'2D epochs to {pct}% (own)']
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
                extra = 'coco/AP .5' if t.metric.key == 'coco/AP' else 'coco/AP'
                cells += [t.format(r['test'].get(t.metric.key)),
                          '-' if r['test'].get(extra) is None
                          else f"{100 * r['test'][extra]:.1f}", e]
            else:
                cells += [_mm(r['test'].get('MPJPE')), _mm(r['test'].get('P-MPJPE')), e]
        cells.append(f"{row['wall_s']:.0f}")
        cells_of_rows.append(cells)
    out.append(markdown_table(head, cells_of_rows))
    out += ['', 'ImageNet initialisation: configs only, not run here (OpenMMLab checkpoints '
            'need internet): ' + ', '.join(f'`{c}`' for c in IMAGENET_CONFIGS) + '.']
    out += ['', *answers(results)]
    out += footer(results)
    return '\n'.join(out) + '\n'


def _score(row: dict, task: Task) -> Optional[float]:
    r = row.get(task.name)
    return None if not r else r['test'].get(task.metric.key)


def answers(results: dict) -> List[str]:
    """The study's questions, answered from this run's numbers."""
    rows = {r['source']: r for r in results['table']}
    tasks = _tasks(results)
    lines = []
    for task in tasks:
        scored = [(n, _score(r, task)) for n, r in rows.items() if _score(r, task) is not None]
        if scored:
            best = (max if task.higher_is_better else min)(scored, key=lambda x: x[1])
            lines.append(f'- Best source for {task.name} ({task.metric.axis_label}): '
                         f'{best[0]} ({task.format(best[1])}).')
    if 'hsjp' in rows and 'jigsaw-cls' in rows:
        for task in tasks:
            a, b = _score(rows['hsjp'], task), _score(rows['jigsaw-cls'], task)
            if a is None or b is None:
                continue
            better = a > b if task.higher_is_better else a < b
            if abs(a - b) <= 0.01 * max(abs(a), abs(b)):
                verdict = 'is level with'  # within 1%: no winner at one seed
            else:
                verdict = 'beats' if better else 'does not beat'
            lines.append(f'- HSJP {verdict} jigsaw classification on {task.name}: '
                         f'{task.format(a)} vs {task.format(b)}.')
    supervised = [n for n in rows if n.startswith('keypoints-2d')]
    for name in supervised:
        for task in tasks:
            kp = rows[name][task.name].get('epochs_to_fraction')
            others = {n: r[task.name].get('epochs_to_fraction') for n, r in rows.items()
                      if n in ('hsjp', 'jigsaw-cls')}
            if kp and others:
                faster = all(e is None or kp < e for e in others.values())
                verdict = 'converges faster than' if faster else 'does not converge faster than'
                pct = round(100 * results['settings']['fraction'])
                lines.append(
                    f'- {name} {verdict} the self-supervised sources on {task.name}: '
                    f"{kp} epochs to {pct}% of the task's best vs "
                    + ', '.join(f"{n} {e or 'never'}" for n, e in others.items())
                    + '.')
    return lines


def plot_curves(results: dict, path: Path) -> str:
    """One panel per downstream task: the validation metric per fine-tuning epoch of every
    source, by :func:`~hsjp_mmpose.visualization.curves.plot_convergence_panels`."""
    from hsjp_mmpose.visualization.curves import plot_convergence_panels
    panels = []
    for task in _tasks(results):
        panels.append(dict(
            runs={row['source']: row[task.name]['work_dir'] for row in results['table']},
            metric=task.metric.key, scale=task.metric.scale, xlabel='fine-tuning epoch',
            ylabel=task.metric.axis_label, title=f'{task.name}: validation {task.metric.label}'))
    return plot_convergence_panels(panels, path)
