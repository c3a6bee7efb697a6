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
per epoch go to the work dir; a second run in the same work dir resumes.
"""
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from mmengine.config import Config

from hsjp_mmpose.experiments import Arm, ExperimentRunner, format_ap, transform_options
from hsjp_mmpose.experiments.options import coco_data_root_options

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / 'configs'
PRETRAIN_CONFIG = CONFIG_DIR / 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'
FINETUNE_CONFIGS = dict(
    hsjp=CONFIG_DIR / 'finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
    scratch=CONFIG_DIR / 'finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py')
TRANSFERS = ('whole', 'backbone')
INPUT_SIZE = (96, 128)  # (w, h) of the small configs


@dataclass
class QuickstartSettings:
    """What the quickstart runs; the defaults fit about 20 minutes on 2 CPU cores."""

    num_train: int = 3000  # generated training images (all used for pretraining)
    num_val: int = 300  # generated validation images
    num_labelled: int = 400  # labelled people for fine-tuning (the first ones)
    max_people: int = 1  # people per generated image
    data_level: str = 'easy'  # difficulty of the generated people (synthetic_levels.py)
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


def jigsaw_options(grid: tuple, patch_jitter: int, config=PRETRAIN_CONFIG) -> List[str]:
    """Overrides that change the puzzle of the pretraining config consistently: the codec,
    the head, the ``RandomJigsaw`` steps (found by type), the datasets' metainfo and the
    metric."""
    rows, cols = grid
    g = f'({rows},{cols})'
    cfg = Config.fromfile(str(config))
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    options = [f'model.head.out_channels={rows * cols}', f'model.head.decoder.grid={g}',
               f'val_evaluator.grid={g}', f'test_evaluator.grid={g}']
    options += transform_options(cfg, 'RandomJigsaw', loaders, grid=(rows, cols),
                                 patch_jitter=patch_jitter)
    options += transform_options(cfg, 'GenerateTarget', ['train_dataloader'],
                                 **{'encoder.grid': (rows, cols)})
    options += [f'{loader}.dataset.jigsaw_grid={g}' for loader in loaders]
    return options


def init_options(run_dir: Path, transfer: str, config=FINETUNE_CONFIGS['hsjp']) -> List[str]:
    """Point the HSJP fine-tuning config at a pretraining run: the whole network but the
    head's last layer (``transfer.pth``), or the backbone alone."""
    checkpoint = Path(run_dir) / 'transfer.pth'
    options = [f'model.backbone.init_cfg.checkpoint={checkpoint}']
    if transfer == 'backbone':
        return options + ['model.head.init_cfg=None']
    head_init = Config.fromfile(str(config)).model.head.init_cfg
    index = next(i for i, c in enumerate(head_init) if c['type'] == 'Pretrained')
    return options + [f'model.head.init_cfg.{index}.checkpoint={checkpoint}']


def schedule_options(epochs: int) -> List[str]:
    """The cosine schedule of the small configs stretched to ``epochs``."""
    return [f'train_cfg.max_epochs={epochs}', f'param_scheduler.1.end={epochs}',
            f'param_scheduler.1.T_max={epochs}']


def finetune_options(data_root: Path, epochs: int, num_labelled: int, val_interval: int,
                     seed: int) -> List[str]:
    """Overrides of a fine-tuning arm: its data, the first ``num_labelled`` labelled people,
    the schedule stretched to ``epochs``, validation every ``val_interval`` epochs, seed."""
    return coco_data_root_options(data_root) + schedule_options(epochs) + [
        f'train_dataloader.dataset.indices={num_labelled}',
        f'train_cfg.val_interval={val_interval}', f'randomness.seed={seed}']


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
        options = finetune_options(data_root, epochs, s.num_labelled, s.val_interval,
                                   s.seed) + list(s.extra_finetune_options)
        if init == 'hsjp':
            options += init_options(Path(self.runner.runs['hsjp_pretrain']['work_dir']),
                                    s.transfer)
        run = self.runner.run(Arm(name, FINETUNE_CONFIGS[init], options))
        run.update(init=init, epochs=epochs)
        return run

    def run(self) -> dict:
        """Run every arm and write the report; returns the results."""
        s = self.settings
        start = time.time()
        data_root = self.runner.data(f'{s.data_level}_seed{s.seed}', s.num_train, s.num_val,
                                     seed=s.seed, level=s.data_level, max_people=s.max_people)
        pre = self.runner.run(Arm(
            'hsjp_pretrain', PRETRAIN_CONFIG,
            coco_data_root_options(data_root) + jigsaw_options(s.jigsaw_grid, s.patch_jitter)
            + schedule_options(s.pretrain_epochs)
            + [f'train_cfg.val_interval={s.pretrain_val_interval}', f'randomness.seed={s.seed}',
               *s.extra_pretrain_options], test=False))
        last = pre['val_per_epoch'][-1] if pre['val_per_epoch'] else {}
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
        (self.work_dir / 'results.md').write_text(text)
        self.runner.save(extra=dict(settings=self.results['settings'],
                                    total_seconds=self.results.get('total_seconds')))
        try:
            plot_val_curves(self.results, self.work_dir / 'val_ap_per_epoch.png')
        except Exception as err:  # the table matters more than the plot
            self.runner.say(f'could not draw the plot: {err}')
        self.runner.log('\n' + text)
        self.runner.say(f'wrote {self.work_dir / "results.md"}, results.json, '
                        'val_ap_per_epoch.png')
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
    out += ['| arm | init | fine-tune epochs | AP | AP .5 | AP .75 | AR | '
            'fine-tune time (s) | total time incl. pretraining (s) |',
            '|---|---|---|---|---|---|---|---|---|']
    labels = dict(finetune_hsjp='HSJP + fine-tune', finetune_scratch='scratch',
                  scratch_equal_compute='scratch, equal total compute')
    for name, label in labels.items():
        run = runs.get(name)
        if not run or 'test' not in run:
            continue
        t = run['test']
        total = run['train_seconds'] + (pre['train_seconds'] if run['init'] == 'hsjp' else 0)
        out.append(f"| {label} | {run['init']} | {run['epochs']} | "
                   f"{format_ap(t.get('coco/AP'))} | {format_ap(t.get('coco/AP .5'))} | "
                   f"{format_ap(t.get('coco/AP .75'))} | {format_ap(t.get('coco/AR'))} | "
                   f"{run['train_seconds']:.0f} | {total:.0f} |")
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


def plot_val_curves(results: dict, path: Path) -> None:
    """Validation AP per epoch of the fine-tuning runs."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, run in results['runs'].items():
        rows = [r for r in run.get('val_per_epoch', []) if 'coco/AP' in r]
        if rows:
            ax.plot([r['step'] for r in rows], [100 * r['coco/AP'] for r in rows],
                    marker='o', ms=3, label=f"{name} ({run.get('init')} init)")
    ax.set_xlabel('fine-tuning epoch')
    ax.set_ylabel('validation COCO AP (%)')
    ax.set_title('HSJP quickstart: validation AP per epoch')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
