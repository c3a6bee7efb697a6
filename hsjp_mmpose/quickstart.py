# Copyright (c) hsjp-mmpose contributors.
"""The HSJP quickstart: does jigsaw pretraining help a pose estimator with few labels?

On generated people (:func:`hsjp_mmpose.datasets.synthetic.generate_synthetic_coco`):

1. HSJP-pretrain the small network (``configs/hsjp/hsjp_res18-half_...``) on every person
   crop of the training split; keypoint labels unused.
2. Fine-tune it, and an identical network from scratch, with the same number of epochs on
   the first ``num_labelled`` labelled people (``configs/finetune/td-hm_res18-half_...``).
3. Evaluate the last checkpoint of both with ``mim test`` (COCO keypoint AP on the
   validation split, ground-truth boxes).
4. Optionally train from scratch for as long as pretraining and fine-tuning took together
   (the equal-total-compute comparison).

Every run is a ``mim train`` / ``mim test`` subprocess with ``--cfg-options``. The table
(Markdown and JSON) and a plot of validation AP per epoch go to the work dir.
"""
import json
import math
import os
import re
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from hsjp_mmpose.utils import coco_data_root_options, mim_executable

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO_ROOT / 'configs'
PRETRAIN_CONFIG = CONFIG_DIR / 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'
FINETUNE_CONFIGS = dict(
    hsjp=CONFIG_DIR / 'finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
    scratch=CONFIG_DIR / 'finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py')
# Lines of a training log worth echoing as progress.
_PROGRESS = re.compile(
    r' - mmengine - INFO - (Epoch\((train|val|test)\)|Jigsaw accuracy)|Error|Traceback')


@dataclass
class QuickstartSettings:
    """What the quickstart runs; the defaults fit about 15 minutes on 2 CPU cores."""

    num_train: int = 3000  # generated training images (all used for pretraining)
    num_val: int = 300  # generated validation images
    num_labelled: int = 400  # labelled people for fine-tuning (the first ones)
    max_people: int = 1  # people per generated image
    pretrain_epochs: int = 8  # about 300 s at 0.38 s per iteration of batch 32
    finetune_epochs: int = 40  # 13 iterations each on 400 people: about 200 s per arm
    val_interval: int = 10  # fine-tuning epochs between validations (the AP curve)
    jigsaw_grid: tuple = (2, 2)
    patch_jitter: int = 4
    seed: int = 0
    equal_compute: bool = False  # also train from scratch for pretrain + fine-tune time
    extra_pretrain_options: List[str] = field(default_factory=list)
    extra_finetune_options: List[str] = field(default_factory=list)


def jigsaw_options(grid: tuple, patch_jitter: int) -> List[str]:
    """Overrides that change the puzzle of :data:`PRETRAIN_CONFIG` consistently: the codec,
    the head, both ``RandomJigsaw`` steps (pipeline indices 5 and 3), the datasets'
    metainfo and the metric."""
    rows, cols = grid
    g = f'({rows},{cols})'
    options = [f'model.head.out_channels={rows * cols}', f'model.head.decoder.grid={g}',
               f'val_evaluator.grid={g}', f'test_evaluator.grid={g}',
               f'train_dataloader.dataset.pipeline.5.grid={g}',
               f'train_dataloader.dataset.pipeline.5.patch_jitter={patch_jitter}',
               f'train_dataloader.dataset.pipeline.6.encoder.grid={g}']
    for loader in ('val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.pipeline.3.grid={g}',
                    f'{loader}.dataset.pipeline.3.patch_jitter={patch_jitter}']
    options += [f'{loader}.dataset.jigsaw_grid={g}'
                for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    return options


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
        self.work_dir = Path(work_dir).resolve()
        self.settings = settings or QuickstartSettings()
        self.log = log or (lambda msg: print(msg, flush=True))
        self.data_root = self.work_dir / 'data'
        self.log_dir = self.work_dir / 'logs'
        self.results: Dict = dict(settings=asdict(self.settings), runs={})
        self._start = time.time()

    # ----------------------------------------------------------------- helpers
    def _say(self, msg: str) -> None:
        self.log(f'[quickstart {time.time() - self._start:6.0f}s] {msg}')

    def _run(self, name: str, args: List[str]) -> Tuple[str, float]:
        """Run a command, echoing progress lines, keeping the whole output in logs/.

        Returns its output and wall time in seconds."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.log_dir / f'{name}.log'
        self._say(f'{name}: {" ".join(map(str, args))}')
        start = time.time()
        lines = []
        with open(log_file, 'w') as fh, subprocess.Popen(
                [str(a) for a in args], cwd=str(self.work_dir), stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1, env=_subprocess_env(),
                start_new_session=True) as proc:
            try:
                for line in proc.stdout:
                    fh.write(line)
                    fh.flush()
                    lines.append(line)
                    if _PROGRESS.search(line):
                        self.log(f'  [{name}] {_shorten(line.rstrip())}')
                proc.wait()
            except BaseException:  # interrupted: stop the run and its workers too
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
                raise
        seconds = time.time() - start
        if proc.returncode != 0:
            raise RuntimeError(f'{name} failed (exit code {proc.returncode}); see {log_file}:\n'
                               + ''.join(lines[-40:]))
        self._say(f'{name}: done in {seconds:.0f} s')
        return ''.join(lines), seconds

    def _train(self, name: str, config: Path, options: List[str]) -> dict:
        run_dir = self.work_dir / 'runs' / name
        _, seconds = self._run(f'train_{name}', [
            mim_executable(), 'train', 'mmpose', config, '--work-dir', run_dir, '--cfg-options',
            *options])
        checkpoint = Path((run_dir / 'last_checkpoint').read_text().strip())
        run = dict(config=str(config.relative_to(REPO_ROOT)), work_dir=str(run_dir),
                   train_seconds=round(seconds, 1), checkpoint=str(checkpoint),
                   val_per_epoch=read_val_scalars(run_dir))
        self.results['runs'][name] = run
        return run

    def _test(self, name: str, config: Path, options: List[str]) -> Dict[str, float]:
        run = self.results['runs'][name]
        output, seconds = self._run(f'test_{name}', [
            mim_executable(), 'test', 'mmpose', config, '--checkpoint', run['checkpoint'],
            '--work-dir', self.work_dir / 'runs' / f'{name}_test', '--cfg-options', *options])
        metrics = parse_test_metrics(output)
        if not metrics:
            raise RuntimeError(f'no metrics found in the output of test_{name}; see '
                               f'{self.log_dir}/test_{name}.log')
        run['test'] = metrics
        run['test_seconds'] = round(seconds, 1)
        return metrics

    # ----------------------------------------------------------------- steps
    def generate_data(self) -> None:
        """Generate the people (skipped when the files are already there)."""
        s = self.settings
        ann = self.data_root / 'annotations'
        stamp = self.data_root / 'generated.json'
        wanted = dict(num_train=s.num_train, num_val=s.num_val, seed=s.seed,
                      max_people=s.max_people)
        if stamp.is_file() and json.loads(stamp.read_text()) == wanted and \
                (ann / 'person_keypoints_val.json').is_file():
            self._say(f'data: reusing {self.data_root}')
            return
        from hsjp_mmpose.datasets.synthetic import generate_synthetic_coco
        self._say(f'data: generating {s.num_train} train / {s.num_val} val images '
                  f'into {self.data_root}')
        start = time.time()
        summary = generate_synthetic_coco(self.data_root, s.num_train, s.num_val, seed=s.seed,
                                          max_people=s.max_people)
        self.results['data'] = dict(num_images=summary['num_images'],
                                    num_people=summary['num_people'],
                                    seconds=round(time.time() - start, 1))
        stamp.write_text(json.dumps(wanted))
        self._say(f'data: {summary["num_people"]} people in {time.time() - start:.0f} s')

    def pretrain(self) -> dict:
        s = self.settings
        options = coco_data_root_options(self.data_root) + jigsaw_options(s.jigsaw_grid,
                                                                 s.patch_jitter) + [
            f'train_cfg.max_epochs={s.pretrain_epochs}',
            f'param_scheduler.1.end={s.pretrain_epochs}',
            f'param_scheduler.1.T_max={s.pretrain_epochs}',
            f'randomness.seed={s.seed}',
            *s.extra_pretrain_options]
        run = self._train('hsjp_pretrain', PRETRAIN_CONFIG, options)
        last = run['val_per_epoch'][-1] if run['val_per_epoch'] else {}
        run['jigsaw'] = {k: v for k, v in last.items() if k.startswith('jigsaw/')}
        backbone = Path(run['work_dir']) / 'backbone.pth'
        if not backbone.is_file():
            raise RuntimeError(f'pretraining wrote no {backbone}')
        run['backbone'] = str(backbone)
        return run

    def finetune(self, name: str, init: str, epochs: int) -> dict:
        s = self.settings
        options = coco_data_root_options(self.data_root) + [
            f'train_dataloader.dataset.indices={s.num_labelled}',
            f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={s.val_interval}',
            f'param_scheduler.1.end={epochs}',
            f'param_scheduler.1.T_max={epochs}',
            f'randomness.seed={s.seed}',
            *s.extra_finetune_options]
        if init == 'hsjp':
            options.append('model.backbone.init_cfg.checkpoint='
                           f'{self.results["runs"]["hsjp_pretrain"]["backbone"]}')
        config = FINETUNE_CONFIGS[init]
        run = self._train(name, config, options)
        run.update(init=init, epochs=epochs)
        self._test(name, config, coco_data_root_options(self.data_root))
        return run

    def run(self) -> dict:
        """Run every step and write the report; returns the results."""
        s = self.settings
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.generate_data()
        self.pretrain()
        self.finetune('finetune_hsjp', 'hsjp', s.finetune_epochs)
        self.finetune('finetune_scratch', 'scratch', s.finetune_epochs)
        if s.equal_compute:
            runs = self.results['runs']
            per_epoch = runs['finetune_scratch']['train_seconds'] / s.finetune_epochs
            budget = runs['hsjp_pretrain']['train_seconds'] + runs['finetune_hsjp']['train_seconds']
            epochs = max(s.finetune_epochs, int(math.ceil(budget / per_epoch)))
            self.finetune('scratch_equal_compute', 'scratch', epochs)
        self.results['total_seconds'] = round(time.time() - self._start, 1)
        self.write_report()
        return self.results

    # ----------------------------------------------------------------- report
    def write_report(self) -> str:
        text = format_report(self.results)
        (self.work_dir / 'results.md').write_text(text)
        (self.work_dir / 'results.json').write_text(json.dumps(self.results, indent=2))
        try:
            plot_val_curves(self.results, self.work_dir / 'val_ap_per_epoch.png')
        except Exception as err:  # the table matters more than the plot
            self._say(f'could not draw the plot: {err}')
        self.log('\n' + text)
        self._say(f'wrote {self.work_dir / "results.md"}, results.json, val_ap_per_epoch.png')
        return text


def _subprocess_env() -> dict:
    env = dict(os.environ)
    env['PYTHONUNBUFFERED'] = '1'
    # One PyTorch thread beside the data-loading worker: on 2 cores, two threads per
    # training process oversubscribe the CPU and ran several times slower.
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def _shorten(line: str, width: int = 180) -> str:
    line = re.sub(r'^\S+ \S+ - mmengine - \w+ - ', '', line)
    return line if len(line) <= width else line[:width - 3] + '...'


def read_val_scalars(run_dir: Path) -> List[dict]:
    """Validation metrics per epoch from ``<run_dir>/<timestamp>/vis_data/scalars.json``."""
    files = sorted(run_dir.glob('*/vis_data/scalars.json'))
    rows = []
    if not files:
        return rows
    for line in files[-1].read_text().splitlines():
        record = json.loads(line)
        if any(k.startswith(('coco/', 'jigsaw/')) for k in record):
            rows.append(record)
    return rows


def parse_test_metrics(output: str) -> Dict[str, float]:
    """``coco/AP``, ``coco/AP .5`` ... from the ``Epoch(test)`` line of ``mim test``."""
    lines = [line for line in output.splitlines() if 'Epoch(test)' in line]
    if not lines:
        return {}
    return {key.strip(): float(value) for key, value in
            re.findall(r'((?:coco|jigsaw)/[^:]+):\s*(-?\d+\.\d+)', lines[-1])}


def format_report(results: dict) -> str:
    """The results as Markdown."""
    s = results['settings']
    runs = results['runs']
    out = ['# HSJP quickstart on generated people', '',
           f"{s['num_train']} training images (all used for pretraining, labels unused), "
           f"{s['num_val']} validation images; fine-tuning on the first {s['num_labelled']} "
           f"labelled people. Network: ResNet-18 at half width + 3 deconvolutions, input "
           f"128x96, heatmaps 32x24. HSJP: {s['jigsaw_grid'][0]}x{s['jigsaw_grid'][1]} grid, "
           f"patch jitter {s['patch_jitter']} px. COCO keypoint AP on the validation split "
           f"(ground-truth boxes, flip test) of the last checkpoint, by `mim test`.", '']
    pre = runs.get('hsjp_pretrain')
    if pre:
        jig = pre.get('jigsaw', {})
        out += [f"HSJP pretraining: {s['pretrain_epochs']} epochs in {pre['train_seconds']:.0f} s; "
                f"validation patch accuracy {jig.get('jigsaw/patch_accuracy', float('nan')):.3f}, "
                f"puzzle accuracy {jig.get('jigsaw/puzzle_accuracy', float('nan')):.3f} "
                f"(chance: {1 / (s['jigsaw_grid'][0] * s['jigsaw_grid'][1]):.3f} per patch).", '']
    out += ['| arm | backbone init | fine-tune epochs | AP | AP .5 | AP .75 | AR | '
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
                   f"{100 * t.get('coco/AP', float('nan')):.1f} | "
                   f"{100 * t.get('coco/AP .5', float('nan')):.1f} | "
                   f"{100 * t.get('coco/AP .75', float('nan')):.1f} | "
                   f"{100 * t.get('coco/AR', float('nan')):.1f} | "
                   f"{run['train_seconds']:.0f} | {total:.0f} |")
    if 'finetune_hsjp' in runs and 'finetune_scratch' in runs:
        gain = 100 * (runs['finetune_hsjp']['test']['coco/AP']
                      - runs['finetune_scratch']['test']['coco/AP'])
        out += ['', f'HSJP minus scratch at equal fine-tuning epochs: {gain:+.1f} AP.']
    if 'scratch_equal_compute' in runs:
        gain = 100 * (runs['finetune_hsjp']['test']['coco/AP']
                      - runs['scratch_equal_compute']['test']['coco/AP'])
        out += [f'HSJP minus scratch at equal total compute: {gain:+.1f} AP.']
    if 'total_seconds' in results:
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
