# Copyright (c) hsjp-mmpose contributors.
"""The HSJP quickstart: does jigsaw pretraining help a pose estimator with few labels?

On generated people (:func:`hsjp_mmpose.synthetic.generate_synthetic_coco`, the
``easy`` level by default), as arms of one :class:`~hsjp_mmpose.experiments.ExperimentRunner`:

1. ``hsjp_pretrain``: HSJP-pretrain the small network (``configs/hsjp/hsjp_res18-half_...``)
   on every person crop of the training split; keypoint labels unused.
2. ``finetune_hsjp`` / ``finetune_scratch``: fine-tune it, and an identical network from
   scratch, for the same number of epochs on the first ``num_labelled`` labelled people
   (``configs/finetune/td-hm_res18-half_...``). HSJP transfers the whole network except the
   head's last 1x1 layer (``transfer='whole'``) or the backbone alone.
3. ``scratch_equal_compute``: from scratch for as long as pretraining and fine-tuning took
   together (the equal-total-compute comparison; on by default).

Each arm is evaluated with ``mim test`` (COCO keypoint AP on the validation split,
ground-truth boxes, flip test). The table (Markdown and JSON) and a plot of validation AP
per epoch go to the work dir (:mod:`~hsjp_mmpose.experiments.report`); a second run in
the same work dir resumes.
"""
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from hsjp_mmpose.experiments.options import (coco_data_root_options, finetune_options,
                                             init_options, jigsaw_options, schedule_options)
from hsjp_mmpose.experiments.report import format_ap, markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner, check_labelled_people

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / 'configs'
PRETRAIN_CONFIG = CONFIG_DIR / 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'
FINETUNE_CONFIGS = dict(
    hsjp=CONFIG_DIR / 'finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
    scratch=CONFIG_DIR / 'finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py')
TRANSFERS = ('whole', 'backbone')
PLOT_NAME = 'val_ap_per_epoch.png'
ARM_LABELS = dict(finetune_hsjp='HSJP + fine-tune', finetune_scratch='scratch',
                  scratch_equal_compute='scratch, equal total compute')
INPUT_SIZE = (96, 128)  # (w, h) of the small configs


@dataclass
class QuickstartSettings:
    """What the quickstart runs; the defaults fit about 20 minutes on 2 CPU cores."""

    num_train: int = 3000  # generated training images (all used for pretraining)
    num_val: int = 300  # generated validation images
    num_labelled: int = 400  # labelled people for fine-tuning (the first ones)
    max_people: int = 1  # people per generated image
    data_level: str = 'easy'  # difficulty of the generated people (synthetic/levels.py)
    pretrain_epochs: int = 12  # 94 iterations of batch 32 each: 250-330 s
    finetune_epochs: int = 36  # 13 iterations each on 400 people: 110-135 s per arm
    val_interval: int = 6  # fine-tuning epochs between validations (the AP curve)
    pretrain_val_interval: int = 4  # pretraining epochs between jigsaw validations
    jigsaw_grid: tuple = (2, 2)
    patch_jitter: int = 4
    transfer: str = 'whole'  # 'whole' (all but the head's last layer) or 'backbone'
    seed: int = 0
    equal_compute: bool = True  # also train from scratch for pretrain + fine-tune time
    extra_pretrain_options: List[str] = field(default_factory=list)
    extra_finetune_options: List[str] = field(default_factory=list)


def check_settings(s: QuickstartSettings) -> None:
    """Fail at once, naming the setting, before any data or training (not minutes later in
    a subprocess)."""
    for name in ('num_train', 'num_val', 'num_labelled', 'pretrain_epochs', 'finetune_epochs',
                 'val_interval', 'pretrain_val_interval'):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an integer >= 1, got {value!r}')
    if s.max_people not in (1, 2, 3):
        raise ValueError(f'max_people must be 1, 2 or 3, got {s.max_people!r}')
    if s.num_labelled > s.num_train * s.max_people:
        raise ValueError(f'num_labelled is {s.num_labelled}, more people than num_train '
                         f'({s.num_train}) images of at most max_people ({s.max_people}) '
                         f'can hold ({s.num_train * s.max_people}); lower num_labelled or '
                         'raise num_train')
    from hsjp_mmpose.synthetic.levels import get_data_level
    get_data_level(s.data_level)
    if s.transfer not in TRANSFERS:
        raise ValueError(f'transfer must be one of {TRANSFERS}, got {s.transfer!r}')
    from hsjp_mmpose.datasets.transforms import RandomJigsaw
    try:
        RandomJigsaw(grid=tuple(s.jigsaw_grid), input_size=INPUT_SIZE,
                     patch_jitter=s.patch_jitter)
    except ValueError as err:
        rows = [r for r in range(1, 9) if INPUT_SIZE[1] % r == 0]
        cols = [c for c in range(1, 9) if INPUT_SIZE[0] % c == 0]
        raise ValueError(f'grid / patch_jitter: {err}. The quickstart\'s input is '
                         f'{INPUT_SIZE[0]}x{INPUT_SIZE[1]} (w x h): rows can be {rows}, '
                         f'columns {cols}') from None


class Quickstart:
    """Runs the quickstart in ``work_dir`` and keeps the results.

    Args:
        work_dir: output folder (data, runs, logs, ``results.md``, ``results.json``,
            ``val_ap_per_epoch.png``).
        settings: what to run.
        log: where progress lines go (default: print, flushed).
    """

    def __init__(self, work_dir, settings: Optional[QuickstartSettings] = None,
                 log: Optional[Callable[[str], None]] = None) -> None:
        self.settings = settings or QuickstartSettings()
        check_settings(self.settings)
        self.runner = ExperimentRunner(work_dir, log=log, name='quickstart')
        self.work_dir = self.runner.work_dir
        self.results: Dict = dict(settings=asdict(self.settings), runs=self.runner.runs)

    def _finetune(self, name: str, init: str, epochs: int, data_root: Path) -> dict:
        s = self.settings
        config = FINETUNE_CONFIGS[init]
        options = finetune_options(config, data_root, epochs, s.num_labelled, s.val_interval,
                                   s.seed) + list(s.extra_finetune_options)
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
        data_root = self.runner.data(f'{s.data_level}_seed{s.seed}', s.num_train, s.num_val,
                                     seed=s.seed, level=s.data_level, max_people=s.max_people)
        check_labelled_people(s.num_labelled, FINETUNE_CONFIGS['scratch'], data_root)
        pre = self.runner.run(Arm(
            'hsjp_pretrain', PRETRAIN_CONFIG,
            coco_data_root_options(data_root)
            + jigsaw_options(PRETRAIN_CONFIG, s.jigsaw_grid, s.patch_jitter)
            + schedule_options(PRETRAIN_CONFIG, s.pretrain_epochs)
            + [f'train_cfg.val_interval={s.pretrain_val_interval}', f'randomness.seed={s.seed}',
               *s.extra_pretrain_options], test=False))
        last = pre['convergence'][-1]['metrics'] if pre['convergence'] else {}
        pre['jigsaw'] = {k: v for k, v in last.items() if k.startswith('jigsaw/')}
        self._finetune('finetune_hsjp', 'hsjp', s.finetune_epochs, data_root)
        scratch = self._finetune('finetune_scratch', 'scratch', s.finetune_epochs, data_root)
        if s.equal_compute:
            per_epoch = scratch['train_seconds'] / s.finetune_epochs
            budget = pre['train_seconds'] + self.runner.runs['finetune_hsjp']['train_seconds']
            epochs = max(s.finetune_epochs, int(math.ceil(budget / per_epoch)))
            self._finetune('scratch_equal_compute', 'scratch', epochs, data_root)
        self.results['total_seconds'] = round(time.time() - start, 1)
        self.write_report()
        return self.results

    # ----------------------------------------------------------------- report
    def write_report(self) -> str:
        text = format_report(self.results)
        write_report(self.runner, text,
                     extra=dict(settings=self.results['settings'],
                                total_seconds=self.results.get('total_seconds')),
                     plot=lambda path: plot_val_curves(self.results, path),
                     plot_name=PLOT_NAME)
        return text


def format_report(results: dict) -> str:
    """The results as Markdown."""
    s = results['settings']
    runs = results['runs']
    transfer = ('the whole network except the head\'s last 1x1 layer'
                if s.get('transfer', 'whole') == 'whole' else 'the backbone alone')
    out = ['# HSJP quickstart on generated people', '',
           f"{s['num_train']} training images ({s.get('data_level', 'easy')} level; all used "
           f"for pretraining, labels unused), {s['num_val']} validation images; fine-tuning "
           f"on the first {s['num_labelled']} labelled people. Network: ResNet-18 at half "
           f"width + 3 deconvolutions, input 128x96, heatmaps 32x24. HSJP: "
           f"{s['jigsaw_grid'][0]}x{s['jigsaw_grid'][1]} grid, patch jitter "
           f"{s['patch_jitter']} px; fine-tuning starts from {transfer}. COCO keypoint AP (%) "
           f"on the validation split (ground-truth boxes, flip test) of the last checkpoint, "
           f"by `mim test`.", '']
    pre = runs.get('hsjp_pretrain')
    if pre:
        jig = pre.get('jigsaw', {})
        out += [f"HSJP pretraining: {s['pretrain_epochs']} epochs in {pre['train_seconds']:.0f} s; "
                f"validation patch accuracy {jig.get('jigsaw/patch_accuracy', float('nan')):.3f}, "
                f"puzzle accuracy {jig.get('jigsaw/puzzle_accuracy', float('nan')):.3f} "
                f"(chance: {1 / (s['jigsaw_grid'][0] * s['jigsaw_grid'][1]):.3f} per patch).", '']
    rows = []
    for name, label in ARM_LABELS.items():
        run = runs.get(name)
        if not run or 'test' not in run:
            continue
        t = run['test']
        total = run['train_seconds'] + (pre['train_seconds'] if run['init'] == 'hsjp' else 0)
        rows.append([label, run['init'], run['epochs'], format_ap(t.get('coco/AP')),
                     format_ap(t.get('coco/AP .5')), format_ap(t.get('coco/AP .75')),
                     format_ap(t.get('coco/AR')), f"{run['train_seconds']:.0f}",
                     f'{total:.0f}'])
    out.append(markdown_table(['arm', 'init', 'fine-tune epochs', 'AP', 'AP .5', 'AP .75',
                               'AR', 'fine-tune time (s)',
                               'total time incl. pretraining (s)'], rows))
    if 'test' in runs.get('finetune_hsjp', {}) and 'test' in runs.get('finetune_scratch', {}):
        gain = 100 * (runs['finetune_hsjp']['test']['coco/AP']
                      - runs['finetune_scratch']['test']['coco/AP'])
        out += ['', f'HSJP minus scratch at equal fine-tuning epochs: {gain:+.1f} AP.']
    if 'test' in runs.get('scratch_equal_compute', {}):
        gain = 100 * (runs['finetune_hsjp']['test']['coco/AP']
                      - runs['scratch_equal_compute']['test']['coco/AP'])
        out += [f'HSJP minus scratch at equal total compute: {gain:+.1f} AP.']
    if results.get('total_seconds'):
        out += ['', f"Whole quickstart: {results['total_seconds']:.0f} s."]
    return '\n'.join(out) + '\n'


def plot_val_curves(results: dict, path: Path) -> str:
    """Validation AP (%) per epoch of the fine-tuning runs (their ``convergence`` records),
    drawn by :func:`~hsjp_mmpose.visualization.curves.plot_convergence`."""
    from hsjp_mmpose.visualization.curves import plot_convergence
    runs = {f"{name} ({run.get('init')} init)": run['convergence']
            for name, run in results['runs'].items()
            if any('coco/AP' in r['metrics'] for r in run.get('convergence', []))}
    return plot_convergence(runs, 'coco/AP', path, scale=100, xlabel='fine-tuning epoch',
                            ylabel='validation COCO AP (%)',
                            title='HSJP quickstart: validation AP per epoch')
