# Copyright (c) hsjp-mmpose contributors.
"""One way to run experiments: an arm is a config plus ``--cfg-options``, trained with
``mim train mmpose`` and evaluated with ``mim test mmpose``.

:class:`ExperimentRunner` keeps everything of one experiment in its work dir::

    work_dir/data/<name>/           generated data sets, reused when asked for again
    work_dir/runs/<arm>/            each arm's mim train work dir (checkpoints, scalars)
    work_dir/logs/<step>.log        the whole output of every subprocess
    work_dir/results.json           every finished arm (read back on a second run)

A second run with the same work dir skips the arms that finished with the same config and
options (the same ``key=value`` overrides, in any order) and resumes (``--resume``) the one
that was stopped half-way, so a long matrix survives a cancelled job. Every command runs
in a session of its own under :mod:`~hsjp_mmpose.experiments.watchdog`: Ctrl-C, SIGTERM
and the runner's own death (even by SIGKILL) stop it with its children. An arm's
validation metrics per epoch are the ``convergence.json`` records of its run
(:mod:`~hsjp_mmpose.experiments.convergence`), kept in ``results.json``. The quickstart and
every benchmark are a short list of arms on top of it, with overrides from
:mod:`~hsjp_mmpose.experiments.options` and one report format
(:mod:`~hsjp_mmpose.experiments.report`).
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple, Union

from hsjp_mmpose.experiments import watchdog
from hsjp_mmpose.experiments.allocator import with_malloc_env
from hsjp_mmpose.experiments.convergence import load_convergence
from hsjp_mmpose.experiments.mim import mim_executable

if TYPE_CHECKING:
    from hsjp_mmpose.experiments.data_sources import DataFiles

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
        test: evaluate a checkpoint with ``mim test`` after training.
        test_checkpoint: which: ``'last'`` or ``'best'`` (the ``save_best`` checkpoint of the
            config's checkpoint hook, the last one when there is none).
    """
    name: str
    config: Union[str, Path]
    options: List[str] = field(default_factory=list)
    test_options: List[str] = field(default_factory=list)
    test: bool = True
    test_checkpoint: str = 'last'

    def __post_init__(self) -> None:
        self.config = Path(self.config).resolve()  # subprocesses run in the work dir
        if not self.config.is_file():
            raise FileNotFoundError(f'arm {self.name!r}: config file {self.config} not found')
        if self.test_checkpoint not in ('last', 'best'):
            raise ValueError(f"arm {self.name!r}: test_checkpoint must be 'last' or 'best', "
                             f'got {self.test_checkpoint!r}')

    def signature(self) -> dict:
        signature = dict(config=str(self.config), options=list(self.options),
                         test_options=list(self.test_options))
        if self.test_checkpoint != 'last':
            signature['test_checkpoint'] = self.test_checkpoint
        return signature


def _canonical_options(options: Sequence[str]):
    """What ``--cfg-options`` makes of ``options``: ``key=value`` pairs, the last value of
    a key winning, in any order, unless a key is a prefix of another (``a=None a.b=1``),
    where the order matters and is kept."""
    pairs = dict(str(o).split('=', 1) if '=' in str(o) else (str(o), None) for o in options)
    keys = list(pairs)
    if any(b.startswith(a + '.') for a in keys for b in keys if a != b):
        return [str(o) for o in options]
    return sorted(pairs.items())


def same_arm(signature: Optional[dict], arm: Arm) -> bool:
    """Whether a saved arm ``signature`` trains and tests what ``arm`` does: the same
    config and the same overrides (:func:`_canonical_options`)."""
    if not signature:
        return False
    mine = arm.signature()
    return signature.get('config') == mine['config'] and all(
        _canonical_options(signature.get(key, [])) == _canonical_options(mine[key])
        for key in ('options', 'test_options')) and \
        signature.get('test_checkpoint', 'last') == mine.get('test_checkpoint', 'last')


def training_set_size(config: Union[str, Path], data: Union[str, Path, 'DataFiles']) -> int:
    """How many samples (people, for a top-down config) ``config``'s training set holds
    on ``data`` (a data folder for the config's own files, or a data source's training
    :class:`~hsjp_mmpose.experiments.data_sources.DataFiles`), all of them (``indices``
    dropped): what an override ``train_dataloader.dataset.indices=N`` takes the first
    ``N`` of."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = Config.fromfile(str(config)).train_dataloader.dataset
    if isinstance(data, (str, Path)):
        cfg.data_root = str(Path(data).resolve()) + '/'
    else:
        cfg.data_root = str(Path(data.data_root).resolve()) + '/'
        cfg.ann_file = data.ann_file
        cfg.data_prefix = dict(cfg.get('data_prefix') or {}, img=data.img_prefix)
    cfg.pop('indices', None)
    cfg.pipeline = []
    return len(DATASETS.build(cfg))


def check_labelled_people(num_labelled: int, config: Union[str, Path],
                          data: Union[str, Path, 'DataFiles'],
                          hint: str = 'lower num_labelled or generate more images (num_train, '
                                      'max_people)') -> int:
    """The number of labelled people ``config``'s training set holds on ``data``
    (:func:`training_set_size`); a ``num_labelled`` above it fails here, before any
    training, which would otherwise quietly use fewer.

    Raises:
        ValueError: Naming ``num_labelled``, the data and what it holds, and ``hint``.
    """
    people = training_set_size(config, data)
    if num_labelled > people:
        where = data if isinstance(data, (str, Path)) else \
            Path(data.data_root) / data.ann_file
        raise ValueError(f'num_labelled is {num_labelled}, but the training split in {where} '
                         f'holds only {people} labelled people; {hint}')
    return people


def parse_test_metrics(output: str) -> Dict[str, float]:
    """``coco/AP``, ``PCK``, ``tPCK`` (and ``tPCK/<joint>``), ``jigsaw/...`` from the last
    ``Epoch(test)`` line of ``mim test``."""
    lines = [line for line in output.splitlines() if 'Epoch(test)' in line]
    if not lines:
        return {}
    metrics = {}
    for key, value in re.findall(r'((?:coco|jigsaw|tPCK)/[^:]+|tPCK|PCK|AUC|EPE|NME|MPJPE|P-MPJPE|'
                                 r'mpjpe|p-mpjpe):\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)', lines[-1]):
        metrics[key.strip()] = float(value)
    return metrics


def subprocess_env() -> dict:
    """The environment of every training and test subprocess: unbuffered output, and
    glibc malloc settings that spare each iteration its page faults
    (:mod:`~hsjp_mmpose.experiments.allocator`; the user's own values win)."""
    env = with_malloc_env(dict(os.environ))
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
        before they propagate; if this process dies, even by SIGKILL, the command's
        watchdog stops the group (:mod:`~hsjp_mmpose.experiments.watchdog`). Returns the
        output and the wall time in seconds."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.log_dir / f'{step}.log'
        self.say(f'{step}: {" ".join(map(str, args))}')
        start = time.time()
        lines = []
        with open(log_file, 'w') as fh, _terminate_on_sigterm(), subprocess.Popen(
                watched_command(args), cwd=str(self.work_dir), stdout=subprocess.PIPE,
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
        run_dir = self.work_dir / 'runs' / arm.name
        same = done is not None and same_arm(done.get('signature'), arm)
        if same and done.get('finished'):
            self.say(f'{arm.name}: finished in an earlier run, reusing its results')
            if 'convergence' not in done:  # recorded before results.json kept the curves
                done['convergence'] = self._convergence(run_dir)
                self.save()
            return done
        args = [mim_executable(), 'train', 'mmpose', arm.config, '--work-dir', run_dir]
        resumed = same and (run_dir / 'last_checkpoint').is_file()
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
        record['convergence'] = self._convergence(run_dir)
        if arm.test:
            checkpoint = record['checkpoint']
            if arm.test_checkpoint == 'best':
                checkpoint = record['best_checkpoint'] = best_checkpoint(run_dir) or checkpoint
            record['test'], record['test_seconds'] = self.test(arm, checkpoint)
        record['finished'] = True
        self.save()
        return record

    def _convergence(self, run_dir: Path) -> List[dict]:
        """The run's validation records (``convergence.json``); none without the hook."""
        try:
            return load_convergence(run_dir)
        except (FileNotFoundError, ValueError) as err:
            self.say(f'no validation curve for {run_dir.name}: {err}')
            return []

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


def best_checkpoint(run_dir: Union[str, Path]) -> Optional[str]:
    """The ``save_best`` checkpoint (``best_<metric>_epoch_<n>.pth``) mmengine's checkpoint
    hook kept in ``run_dir``, the latest if several; ``None`` when there is none."""
    found = sorted(Path(run_dir).glob('best_*.pth'), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def watched_command(args: Sequence) -> List[str]:
    """``args`` run under :mod:`~hsjp_mmpose.experiments.watchdog` on behalf of this
    process: the command and its children end when this process does."""
    return [sys.executable, '-I', watchdog.__file__, str(os.getpid()), '--',
            *(str(a) for a in args)]


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

