# Copyright (c) hsjp-mmpose contributors.
"""One way to run experiments: an arm is a config plus ``--cfg-options``, trained with
``mim train mmpose`` and evaluated with ``mim test mmpose``.

:class:`ExperimentRunner` keeps everything of one experiment in its work dir::

    work_dir/data/<name>/           generated data sets, reused when asked for again
    work_dir/runs/<arm>/            each arm's mim train work dir (checkpoints, scalars)
    work_dir/logs/<step>.log        the whole output of every subprocess
    work_dir/results.json           every finished arm (read back on a second run)

A second run with the same work dir skips the arms that finished with the same config and
options and resumes (``--resume``) the one that was stopped half-way, so a long matrix
survives a cancelled job. The quickstart and every benchmark are a short list of arms on
top of it and report AP the same way (:func:`format_ap`).
"""
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.config import Config

from hsjp_mmpose.experiments.mim import mim_executable

# Lines of a training log worth echoing as progress.
_PROGRESS = re.compile(
    r' - mmengine - INFO - (Epoch\((train|val|test)\)|Jigsaw accuracy)|Error|Traceback')


@dataclass
class Arm:
    """One run of an experiment.

    Args:
        name: the arm's name (its folder under ``runs/``).
        config: the config file.
        options: ``--cfg-options`` for ``mim train`` (``key=value`` strings).
        test_options: extra ``--cfg-options`` for ``mim test``.
        test: evaluate the last checkpoint with ``mim test`` after training.
    """
    name: str
    config: Union[str, Path]
    options: List[str] = field(default_factory=list)
    test_options: List[str] = field(default_factory=list)
    test: bool = True

    def __post_init__(self) -> None:
        self.config = Path(self.config).resolve()  # subprocesses run in the work dir
        if not self.config.is_file():
            raise FileNotFoundError(f'arm {self.name!r}: config file {self.config} not found')

    def signature(self) -> dict:
        return dict(config=str(self.config), options=list(self.options),
                    test_options=list(self.test_options))


def format_ap(value: Optional[float]) -> str:
    """COCO AP (a fraction as CocoMetric gives it) as percent with one decimal."""
    return 'n/a' if value is None else f'{100 * value:.1f}'


def pipeline_index(config: Union[str, Path, Config], loader: str, transform: str) -> int:
    """Index of the first transform of type ``transform`` in ``<loader>.dataset.pipeline``,
    so that overrides name a transform by type, never by position."""
    cfg = config if isinstance(config, Config) else Config.fromfile(str(config))
    pipeline = cfg[loader].dataset.pipeline
    for i, step in enumerate(pipeline):
        if step.get('type') == transform:
            return i
    raise KeyError(f'{loader}.dataset.pipeline of {getattr(cfg, "filename", config)} has no '
                   f'{transform} (it has {[step.get("type") for step in pipeline]})')


def transform_options(config: Union[str, Path, Config], transform: str, loaders: Sequence[str],
                      **values) -> List[str]:
    """``--cfg-options`` that set ``values`` on the ``transform`` step of each loader's
    pipeline (found by type), e.g. ``transform_options(cfg, 'RandomJigsaw',
    ['train_dataloader'], patch_jitter=4)``."""
    cfg = config if isinstance(config, Config) else Config.fromfile(str(config))
    options = []
    for loader in loaders:
        index = pipeline_index(cfg, loader, transform)
        options += [f'{loader}.dataset.pipeline.{index}.{key}={_option_value(value)}'
                    for key, value in values.items()]
    return options


def _option_value(value) -> str:
    if isinstance(value, (tuple, list)):
        return '(' + ','.join(_option_value(v) for v in value) + (',)' if len(value) == 1
                                                                   else ')')
    return str(value)


def read_val_scalars(run_dir: Path) -> List[dict]:
    """Validation metrics per epoch from ``<run_dir>/<timestamp>/vis_data/scalars.json``
    (every timestamp folder, oldest first: a resumed run continues the curve)."""
    rows = {}
    for path in sorted(Path(run_dir).glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if any(k.startswith(('coco/', 'jigsaw/', 'PCK', 'mpjpe', 'p-mpjpe')) or k == 'PCK'
                   for k in record):
                rows[record.get('step')] = record
    return [rows[k] for k in sorted(rows, key=lambda s: (s is None, s))]


def parse_test_metrics(output: str) -> Dict[str, float]:
    """``coco/AP``, ``PCK``, ``jigsaw/...`` from the last ``Epoch(test)`` line of ``mim test``."""
    lines = [line for line in output.splitlines() if 'Epoch(test)' in line]
    if not lines:
        return {}
    metrics = {}
    for key, value in re.findall(r'((?:coco|jigsaw)/[^:]+|PCK|AUC|EPE|NME|MPJPE|P-MPJPE|'
                                 r'mpjpe|p-mpjpe):\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)', lines[-1]):
        metrics[key.strip()] = float(value)
    return metrics


def subprocess_env() -> dict:
    """The environment of every training and test subprocess."""
    env = dict(os.environ)
    env['PYTHONUNBUFFERED'] = '1'
    return env


def _shorten(line: str, width: int = 180) -> str:
    line = re.sub(r'^\S+ \S+ - mmengine - \w+ - ', '', line)
    return line if len(line) <= width else line[:width - 3] + '...'


class ExperimentRunner:
    """Runs arms in ``work_dir`` and keeps their results (see the module docstring).

    Args:
        work_dir: the experiment's folder.
        log: where progress lines go (default: print, flushed).
        name: how progress lines are labelled.
    """

    def __init__(self, work_dir: Union[str, Path], log: Optional[Callable[[str], None]] = None,
                 name: str = 'experiment') -> None:
        self.work_dir = Path(work_dir).resolve()
        self.log = log or (lambda msg: print(msg, flush=True))
        self.name = name
        self.log_dir = self.work_dir / 'logs'
        self.results_file = self.work_dir / 'results.json'
        self._start = time.time()
        self.runs: Dict[str, dict] = {}
        self.extra: dict = {}
        if self.results_file.is_file():
            try:
                saved = json.loads(self.results_file.read_text())
                self.runs = saved.get('runs', {})
                # what an earlier invocation saved beside the arms (settings, totals)
                self.extra = {k: v for k, v in saved.items() if k != 'runs'}
            except (ValueError, AttributeError):
                self.say(f'ignoring unreadable {self.results_file}; arms will run again')

    # ----------------------------------------------------------------- helpers
    def say(self, msg: str) -> None:
        self.log(f'[{self.name} {time.time() - self._start:6.0f}s] {msg}')

    @property
    def elapsed(self) -> float:
        return time.time() - self._start

    def run_command(self, step: str, args: Sequence) -> Tuple[str, float]:
        """Run a command, echoing progress lines and keeping its output in ``logs/``.

        SIGINT and SIGTERM stop the command's whole process group (its data workers too)
        before they propagate. Returns the output and the wall time in seconds."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.log_dir / f'{step}.log'
        self.say(f'{step}: {" ".join(map(str, args))}')
        start = time.time()
        lines = []
        with open(log_file, 'w') as fh, _terminate_on_sigterm(), subprocess.Popen(
                [str(a) for a in args], cwd=str(self.work_dir), stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1, env=subprocess_env(),
                start_new_session=True) as proc:
            try:
                for line in proc.stdout:
                    fh.write(line)
                    fh.flush()
                    lines.append(line)
                    if _PROGRESS.search(line):
                        self.log(f'  [{step}] {_shorten(line.rstrip())}')
                proc.wait()
            except BaseException:  # interrupted: stop the run and its workers too
                _kill_group(proc)
                raise
        seconds = time.time() - start
        if proc.returncode != 0:
            raise RuntimeError(f'{step} failed (exit code {proc.returncode}); the whole output '
                               f'is in {log_file}; its end:\n' + ''.join(lines[-40:]))
        self.say(f'{step}: done in {seconds:.0f} s')
        return ''.join(lines), seconds

    def save(self, extra: Optional[dict] = None) -> None:
        """Write ``results.json``: every arm so far, plus ``extra`` (settings, totals)."""
        self.extra.update(extra or {})
        self.work_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.results_file.with_suffix('.json.tmp')
        tmp.write_text(json.dumps(dict(self.extra, runs=self.runs), indent=2))
        os.replace(tmp, self.results_file)

    # ----------------------------------------------------------------- steps
    def data(self, name: str, num_train: int, num_val: int, seed: int = 0,
             level: Union[str, dict] = 'easy', **kwargs) -> Path:
        """A generated data set under ``data/<name>``, generated once per settings."""
        from hsjp_mmpose.synthetic import generate_synthetic_coco
        root = self.work_dir / 'data' / name
        stamp = root / 'generated.json'
        wanted = dict(num_train=num_train, num_val=num_val, seed=seed, level=level, **kwargs)
        if stamp.is_file() and json.loads(stamp.read_text()) == wanted and \
                (root / 'annotations' / 'person_keypoints_val.json').is_file():
            self.say(f'data: reusing {root}')
            return root
        self.say(f'data: generating {num_train} train / {num_val} val images ({level} level) '
                 f'into {root}')
        summary = generate_synthetic_coco(root, num_train, num_val, seed=seed, level=level,
                                          **kwargs)
        stamp.write_text(json.dumps(wanted))
        self.say(f'data: {summary["num_people"]} people in {summary["seconds"]:.0f} s')
        return root

    def run(self, arm: Arm) -> dict:
        """Train (or resume) and test one arm; a finished arm with the same config and
        options is taken from ``results.json``."""
        done = self.runs.get(arm.name)
        if done and done.get('signature') == arm.signature() and done.get('finished'):
            self.say(f'{arm.name}: finished in an earlier run, reusing its results')
            return done
        run_dir = self.work_dir / 'runs' / arm.name
        args = [mim_executable(), 'train', 'mmpose', arm.config, '--work-dir', run_dir]
        resumed = done is not None and done.get('signature') == arm.signature() and \
            (run_dir / 'last_checkpoint').is_file()
        if resumed:
            args.append('--resume')
        elif run_dir.exists():
            for stale in run_dir.glob('*.pth'):
                stale.unlink()
            (run_dir / 'last_checkpoint').unlink(missing_ok=True)
        record = dict(signature=arm.signature(), config=str(arm.config), work_dir=str(run_dir),
                      finished=False, train_seconds=(done or {}).get('train_seconds', 0.)
                      if resumed else 0.)
        self.runs[arm.name] = record
        self.save()
        if arm.options:
            args += ['--cfg-options', *arm.options]
        _, seconds = self.run_command(f'train_{arm.name}', args)
        record['train_seconds'] = round(record['train_seconds'] + seconds, 1)
        record['checkpoint'] = Path(run_dir / 'last_checkpoint').read_text().strip()
        record['val_per_epoch'] = read_val_scalars(run_dir)
        if arm.test:
            record['test'], record['test_seconds'] = self.test(arm, record['checkpoint'])
        record['finished'] = True
        self.save()
        return record

    def test(self, arm: Arm, checkpoint: str) -> Tuple[Dict[str, float], float]:
        """``mim test`` of ``checkpoint`` with the arm's config; (metrics, seconds)."""
        args = [mim_executable(), 'test', 'mmpose', arm.config, '--checkpoint', checkpoint,
                '--work-dir', self.work_dir / 'runs' / f'{arm.name}_test']
        options = _data_options(arm.options) + list(arm.test_options)
        if options:
            args += ['--cfg-options', *options]
        output, seconds = self.run_command(f'test_{arm.name}', args)
        metrics = parse_test_metrics(output)
        if not metrics:
            raise RuntimeError(f'no metrics found in the output of test_{arm.name}; see '
                               f'{self.log_dir}/test_{arm.name}.log')
        return metrics, round(seconds, 1)


def _data_options(options: Sequence[str]) -> List[str]:
    """The options of a training arm that ``mim test`` needs too: the test data set, the
    model and the codec (not the schedule, the training data or the seed)."""
    keep = ('test_dataloader.', 'val_dataloader.', 'model.', 'test_evaluator', 'val_evaluator')
    return [o for o in options if o.startswith(keep)]


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class _terminate_on_sigterm:
    """Within the block, SIGTERM raises :class:`KeyboardInterrupt` in the main thread, so
    that ``timeout``, a job scheduler or a cancelled CI job stop the child processes the
    same way Ctrl-C does."""

    def __enter__(self):
        self._previous = None
        try:
            self._previous = signal.signal(signal.SIGTERM, self._handler)
        except ValueError:  # not the main thread: leave signals alone
            pass
        return self

    @staticmethod
    def _handler(signum, frame):
        raise KeyboardInterrupt(f'stopped by signal {signum}')

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
        return False

