# Copyright (c) hsjp-mmpose contributors.
"""The HSJP quickstart: does jigsaw pretraining help a pose estimator with few labels?

On a data source (:mod:`.data_sources`: generated people by default, the ``easy`` level;
or LSP Extended's real photos), as arms of one
:class:`~hsjp_mmpose.experiments.ExperimentRunner`:

1. ``hsjp_pretrain``: HSJP-pretrain the source's small network (its ``hsjp`` config) on
   every person crop of the training split; keypoint labels unused.
2. ``finetune_hsjp`` / ``finetune_scratch``: fine-tune it, and an identical network from
   scratch, for the same number of epochs on the first ``num_labelled`` labelled people
   (its ``pose2d-init`` / ``pose2d-scratch`` configs). HSJP transfers the whole network
   except the head's last 1x1 layer (``transfer='whole'``) or the backbone alone.
3. ``scratch_equal_compute``: from scratch for as long as pretraining and fine-tuning took
   together (the equal-total-compute comparison; on by default).

Each arm is evaluated with ``mim test`` on the source's test split (generated people: the
validation split; LSP Extended: images 9,001-10,000) with ground-truth boxes and flip
test, ranked by the source's metric (COCO AP; PCK@0.2 of the torso). The table (Markdown
and JSON), a plot of the validation metric per epoch and pictures from the test split
(puzzles the pretrained network solved, the fine-tuned network's heatmaps and skeleton)
go to the work dir (:mod:`~hsjp_mmpose.experiments.report`); a second run in the same
work dir resumes.
"""
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from hsjp_mmpose.experiments.benchmark import settings_for
from hsjp_mmpose.experiments.data_sources import DataSource, GeneratedPeople, data_source
from hsjp_mmpose.experiments.options import (finetune_schedule_options, init_options,
                                             jigsaw_options, schedule_options)
from hsjp_mmpose.experiments.report import markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner, check_labelled_people

TRANSFERS = ('whole', 'backbone')
PLOT_NAME = 'val_ap_per_epoch.png'
ARM_LABELS = dict(finetune_hsjp='HSJP + fine-tune', finetune_scratch='scratch',
                  scratch_equal_compute='scratch, equal total compute')
ROLES = dict(hsjp='pose2d-init', scratch='pose2d-scratch')
#: the generated people's configs (the default data source)
PRETRAIN_CONFIG = GeneratedPeople().config('hsjp')
FINETUNE_CONFIGS = {init: GeneratedPeople().config(role) for init, role in ROLES.items()}


@dataclass
class QuickstartSettings:
    """What the quickstart runs; the defaults fit about 20 minutes on 2 CPU cores.
    ``num_train``, ``num_val``, ``max_people`` and ``data_level`` describe the generated
    people (a real data set ignores them)."""

    dataset: str = 'generated'  # the data source (data_sources.DATASETS)
    data_root: Optional[str] = None  # a real data set's folder
    num_train: int = 3000  # generated training images (all used for pretraining)
    num_val: int = 300  # generated validation images
    num_labelled: int = 400  # labelled people for fine-tuning (the first ones)
    max_people: int = 1  # people per generated image
    data_level: str = 'easy'  # difficulty of the generated people (synthetic/levels.py)
    pretrain_epochs: int = 12  # 94 iterations of batch 32 each
    finetune_epochs: int = 36  # 13 iterations each on 400 people
    val_interval: int = 6  # fine-tuning epochs between validations (the curve)
    pretrain_val_interval: int = 4  # pretraining epochs between jigsaw validations
    jigsaw_grid: tuple = (2, 2)
    patch_jitter: int = 4
    transfer: str = 'whole'  # 'whole' (all but the head's last layer) or 'backbone'
    seed: int = 0
    equal_compute: bool = True  # also train from scratch for pretrain + fine-tune time
    pictures: int = 4  # test people drawn (puzzles, heatmaps, skeletons); 0: none
    extra_pretrain_options: List[str] = field(default_factory=list)
    extra_finetune_options: List[str] = field(default_factory=list)

    #: LSP Extended: HSJP on the 8,000 training crops (1,500 iterations), fine-tuning on
    #: 500 labelled people; sized to finish within 30 minutes on 2 cores (README, Results)
    DATASET_DEFAULTS = {'lsp-extended': dict(
        num_labelled=500, pretrain_epochs=6, finetune_epochs=40, val_interval=8,
        pretrain_val_interval=6)}

    @classmethod
    def for_dataset(cls, **values) -> 'QuickstartSettings':
        """The class defaults, those of ``values['dataset']``, then ``values``."""
        return settings_for(cls, cls.DATASET_DEFAULTS, **values)


def source_of(s: QuickstartSettings) -> DataSource:
    """The quickstart's data source."""
    return data_source(s.dataset, s.data_root, num_train=s.num_train, num_val=s.num_val,
                       level=s.data_level, seed=s.seed,
                       generator_options=dict(max_people=s.max_people))


def check_settings(s: QuickstartSettings, source: Optional[DataSource] = None) -> None:
    """Fail at once, naming the setting, before any data or training (not minutes later in
    a subprocess)."""
    for name in ('num_train', 'num_val', 'num_labelled', 'pretrain_epochs', 'finetune_epochs',
                 'val_interval', 'pretrain_val_interval'):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an integer >= 1, got {value!r}')
    if isinstance(s.pictures, bool) or not isinstance(s.pictures, int) or s.pictures < 0:
        raise ValueError(f'pictures must be an integer >= 0, got {s.pictures!r}')
    if s.max_people not in (1, 2, 3):
        raise ValueError(f'max_people must be 1, 2 or 3, got {s.max_people!r}')
    source = source or source_of(s)
    if isinstance(source, GeneratedPeople):
        if s.num_labelled > s.num_train * s.max_people:
            raise ValueError(f'num_labelled is {s.num_labelled}, more people than num_train '
                             f'({s.num_train}) images of at most max_people ({s.max_people}) '
                             f'can hold ({s.num_train * s.max_people}); lower num_labelled or '
                             'raise num_train')
        from hsjp_mmpose.synthetic.levels import get_data_level
        get_data_level(s.data_level)
    elif s.num_labelled > source.max_labelled():
        raise ValueError(f'num_labelled is {s.num_labelled}, more people than the '
                         f'{source.title} training split holds ({source.max_labelled()}); '
                         'lower num_labelled')
    if s.transfer not in TRANSFERS:
        raise ValueError(f'transfer must be one of {TRANSFERS}, got {s.transfer!r}')
    from hsjp_mmpose.datasets.transforms import RandomJigsaw
    width, height = source.input_size
    try:
        RandomJigsaw(grid=tuple(s.jigsaw_grid), input_size=(width, height),
                     patch_jitter=s.patch_jitter)
    except ValueError as err:
        rows = [r for r in range(1, 9) if height % r == 0]
        cols = [c for c in range(1, 9) if width % c == 0]
        raise ValueError(f'grid / patch_jitter: {err}. The quickstart\'s input is '
                         f'{width}x{height} (w x h): rows can be {rows}, '
                         f'columns {cols}') from None


class Quickstart:
    """Runs the quickstart in ``work_dir`` and keeps the results.

    Args:
        work_dir: output folder (data, runs, logs, ``results.md``, ``results.json``,
            ``val_ap_per_epoch.png``, ``pictures/``).
        settings: what to run.
        log: where progress lines go (default: print, flushed).
    """

    def __init__(self, work_dir, settings: Optional[QuickstartSettings] = None,
                 log: Optional[Callable[[str], None]] = None) -> None:
        self.settings = settings or QuickstartSettings()
        self.source = source_of(self.settings)
        check_settings(self.settings, self.source)
        self.source.check()
        self.runner = ExperimentRunner(work_dir, log=log, name='quickstart')
        self.work_dir = self.runner.work_dir
        self.results: Dict = dict(settings=asdict(self.settings), runs=self.runner.runs)

    def _finetune(self, name: str, init: str, epochs: int, data) -> dict:
        s = self.settings
        config = self.source.config(ROLES[init])
        options = data.options(config) + finetune_schedule_options(
            config, epochs, s.num_labelled, s.val_interval, s.seed) + list(
            s.extra_finetune_options)
        if init == 'hsjp':
            options += init_options(Path(self.runner.runs['hsjp_pretrain']['work_dir']),
                                    s.transfer, config)
        run = self.runner.run(Arm(name, config, options))
        run.update(init=init, epochs=epochs)
        return run

    def run(self) -> dict:
        """Run every arm and write the report; returns the results."""
        s = self.settings
        start = time.time()
        data = self.source.prepare(self.runner)
        check_labelled_people(s.num_labelled, self.source.config(ROLES['scratch']), data.train,
                              self.source.more_labels_hint())
        config = self.source.config('hsjp')
        pre = self.runner.run(Arm(
            'hsjp_pretrain', config,
            data.options(config)
            + jigsaw_options(config, s.jigsaw_grid, s.patch_jitter)
            + schedule_options(config, s.pretrain_epochs)
            + [f'train_cfg.val_interval={s.pretrain_val_interval}', f'randomness.seed={s.seed}',
               *s.extra_pretrain_options], test=False))
        last = pre['convergence'][-1]['metrics'] if pre['convergence'] else {}
        pre['jigsaw'] = {k: v for k, v in last.items() if k.startswith('jigsaw/')}
        hsjp = self._finetune('finetune_hsjp', 'hsjp', s.finetune_epochs, data)
        scratch = self._finetune('finetune_scratch', 'scratch', s.finetune_epochs, data)
        if s.equal_compute:
            per_epoch = scratch['train_seconds'] / s.finetune_epochs
            budget = pre['train_seconds'] + hsjp['train_seconds']
            epochs = max(s.finetune_epochs, int(math.ceil(budget / per_epoch)))
            self._finetune('scratch_equal_compute', 'scratch', epochs, data)
        if s.pictures:
            self.results['pictures'] = self.draw_pictures(data, pre, hsjp)
        self.results['total_seconds'] = round(time.time() - start, 1)
        self.write_report()
        return self.results

    def draw_pictures(self, data, pre: dict, hsjp: dict) -> Dict[str, List[str]]:
        """Pictures of the first ``pictures`` test people: the puzzles the pretrained
        network solves (shuffled | true | predicted), the fine-tuned network's heatmaps
        and its skeleton on the photo (``MMPoseInferencer``), in ``pictures/``."""
        from hsjp_mmpose.visualization.pictures import (render_dataset_cams,
                                                        render_dataset_puzzles,
                                                        render_skeletons)
        out = self.work_dir / 'pictures'
        s, say = self.settings, self.runner.say
        pictures = {}
        for name, draw in (
                ('puzzles', lambda: render_dataset_puzzles(
                    self._config('hsjp', data, pre), pre['checkpoint'], out / 'puzzles',
                    s.pictures)),
                ('heatmaps', lambda: render_dataset_cams(
                    self._config(ROLES['hsjp'], data, hsjp), hsjp['checkpoint'],
                    str(out / 'heatmaps'), s.pictures)),
                ('skeletons', lambda: render_skeletons(
                    self._config(ROLES['hsjp'], data, hsjp), hsjp['checkpoint'],
                    out / 'skeletons', s.pictures))):
            try:
                pictures[name] = [str(p) for p in draw()]
            except Exception as err:  # noqa: BLE001  the table matters more than pictures
                say(f'could not draw the {name}: {type(err).__name__}: {err}')
        return pictures

    def _config(self, role: str, data, run: dict):
        """The config of ``role`` with the run's options, its test loader on the test
        split (a :class:`~mmengine.config.Config` for drawing)."""
        from hsjp_mmpose.visualization.pictures import config_with_options
        return config_with_options(self.source.config(role),
                                   run['signature']['options'] + data.options(
                                       self.source.config(role)), loader='test_dataloader')

    # ----------------------------------------------------------------- report
    def write_report(self) -> str:
        text = format_report(self.results)
        write_report(self.runner, text,
                     extra=dict(settings=self.results['settings'],
                                total_seconds=self.results.get('total_seconds'),
                                pictures=self.results.get('pictures')),
                     plot=lambda path: plot_val_curves(self.results, path),
                     plot_name=PLOT_NAME)
        return text


def format_report(results: dict) -> str:
    """The results as Markdown."""
    s = results['settings']
    runs = results['runs']
    source = source_of(QuickstartSettings(**{k: v for k, v in s.items()
                                             if k in QuickstartSettings.__dataclass_fields__}))
    metric = source.metric
    width, height = source.input_size
    transfer = ('the whole network except the head\'s last 1x1 layer'
                if s.get('transfer', 'whole') == 'whole' else 'the backbone alone')
    if isinstance(source, GeneratedPeople):
        data = (f"{s['num_train']} training images ({s.get('data_level', 'easy')} level; all "
                f"used for pretraining, labels unused), {s['num_val']} validation images")
        split = 'the validation split'
    else:
        data = (f'{source.describe()}; pretraining on every training crop (labels unused), '
                'validation on val')
        split = 'the test split'
    out = [f'# HSJP quickstart on {source.title}', '',
           f"{data}; fine-tuning on the first {s['num_labelled']} labelled people. Network: "
           f"ResNet-18 at half width + 3 deconvolutions, input {height}x{width}, heatmaps "
           f"{height // 4}x{width // 4}. HSJP: {s['jigsaw_grid'][0]}x{s['jigsaw_grid'][1]} "
           f"grid, patch jitter {s['patch_jitter']} px; fine-tuning starts from {transfer}. "
           f"{metric.axis_label} on {split} (ground-truth boxes, flip test) of the last "
           "checkpoint, by `mim test`.", '']
    pre = runs.get('hsjp_pretrain')
    if pre:
        jig = pre.get('jigsaw', {})
        out += [f"HSJP pretraining: {s['pretrain_epochs']} epochs in {pre['train_seconds']:.0f} s; "
                f"validation patch accuracy {jig.get('jigsaw/patch_accuracy', float('nan')):.3f}, "
                f"puzzle accuracy {jig.get('jigsaw/puzzle_accuracy', float('nan')):.3f} "
                f"(chance: {1 / (s['jigsaw_grid'][0] * s['jigsaw_grid'][1]):.3f} per patch).", '']
    columns = [(metric.key, metric.label)] + list(source.report_metrics)
    rows = []
    for name, label in ARM_LABELS.items():
        run = runs.get(name)
        if not run or 'test' not in run:
            continue
        t = run['test']
        total = run['train_seconds'] + (pre['train_seconds'] if run['init'] == 'hsjp' else 0)
        rows.append([label, run['init'], run['epochs']]
                    + [_value(key, t.get(key)) for key, _ in columns]
                    + [f"{run['train_seconds']:.0f}", f'{total:.0f}'])
    out.append(markdown_table(['arm', 'init', 'fine-tune epochs']
                              + [label for _, label in columns]
                              + ['fine-tune time (s)', 'total time incl. pretraining (s)'],
                              rows))
    unit = metric.label if metric.unit != '%' else 'AP'
    if 'test' in runs.get('finetune_hsjp', {}) and 'test' in runs.get('finetune_scratch', {}):
        gain = (runs['finetune_hsjp']['test'][metric.key]
                - runs['finetune_scratch']['test'][metric.key])
        out += ['', f'HSJP minus scratch at equal fine-tuning epochs: '
                    f'{metric.format_gain(gain)} {unit}.']
    if 'test' in runs.get('scratch_equal_compute', {}):
        gain = (runs['finetune_hsjp']['test'][metric.key]
                - runs['scratch_equal_compute']['test'][metric.key])
        out += [f'HSJP minus scratch at equal total compute: {metric.format_gain(gain)} {unit}.']
    pictures = results.get('pictures') or {}
    if any(pictures.values()):
        out += ['', 'Pictures (`pictures/`): ' + '; '.join(
            f'{name}: {len(paths)}' for name, paths in pictures.items() if paths) + '.']
    if results.get('total_seconds'):
        out += ['', f"Whole quickstart: {results['total_seconds']:.0f} s."]
    return '\n'.join(out) + '\n'


def _value(key: str, value: Optional[float]) -> str:
    """A test metric as the reports print it: AP as percent, PCK as a fraction."""
    if value is None:
        return 'n/a'
    return f'{100 * value:.1f}' if key.startswith('coco/') else f'{value:.3f}'


def plot_val_curves(results: dict, path: Path) -> str:
    """The validation metric per epoch of the fine-tuning runs (their ``convergence``
    records), drawn by :func:`~hsjp_mmpose.visualization.curves.plot_convergence`."""
    from hsjp_mmpose.visualization.curves import plot_convergence
    s = results.get('settings') or {}
    metric = source_of(QuickstartSettings(**{k: v for k, v in s.items()
                                             if k in QuickstartSettings.__dataclass_fields__})
                       ).metric
    runs = {f"{name} ({run.get('init')} init)": run['convergence']
            for name, run in results['runs'].items()
            if any(metric.key in r['metrics'] for r in run.get('convergence', []))}
    return plot_convergence(runs, metric.key, path, scale=metric.scale,
                            xlabel='fine-tuning epoch',
                            ylabel=f'validation {metric.axis_label}',
                            title=f'HSJP quickstart: validation {metric.label} per epoch')
