# Copyright (c) hsjp-mmpose contributors.
"""Record the validation metrics of every epoch in ``<work_dir>/convergence.json``."""
import json
import math
import os
import os.path as osp
import time
from numbers import Number
from typing import Dict, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmpose.registry import HOOKS

from ..convergence import CONVERGENCE_FILE


def _plain_metrics(metrics: Optional[Dict]) -> Dict[str, float]:
    """The numeric entries of ``metrics`` as Python floats (``NaN``/``inf`` as None would
    not be valid JSON numbers, so they are stored as strings ``'nan'``/``'inf'``)."""
    plain = {}
    for name, value in (metrics or {}).items():
        if hasattr(value, 'item'):  # NumPy / torch scalars (arrays are left out)
            try:
                value = value.item()
            except (ValueError, RuntimeError):
                continue
        if isinstance(value, bool) or not isinstance(value, Number):
            continue
        value = float(value)
        plain[str(name)] = value if math.isfinite(value) else str(value)
    return plain


def write_json_atomic(records: List[dict], filename: str) -> None:
    """Write ``records`` as JSON to a temporary file beside ``filename`` and rename it, so
    that a reader (or a run killed mid-write) never sees a half-written file."""
    os.makedirs(osp.dirname(osp.abspath(filename)), exist_ok=True)
    tmp_name = f'{filename}.tmp{os.getpid()}'
    with open(tmp_name, 'w') as f:
        json.dump(records, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_name, filename)


@HOOKS.register_module()
class ConvergenceRecorderHook(Hook):
    """Append one record per validation to ``<work_dir>/<filename>``: a JSON list of

    ``{"epoch": int, "iter": int, "elapsed_s": float, "metrics": {name: value}}``

    where ``epoch`` and ``iter`` count the epochs and iterations trained so far (as in the
    checkpoint names), ``elapsed_s`` is the wall time since training started (training and
    validation, summed over the runs of a resumed training) and ``metrics`` are the
    numeric metrics of that validation (``coco/AP``, ``jigsaw/patch_accuracy``, ...).
    :func:`hsjp_mmpose.engine.convergence.load_convergence` reads it and
    ``tools/plot_convergence.py`` draws it.

    The file is rewritten whole after each validation through a temporary file and a
    rename. Only the main process writes. A resumed training (``--resume``) keeps the
    records up to the epoch (iteration) it resumes from, drops the later ones (they are
    trained again) and goes on from the last record's ``elapsed_s``; a training that
    starts from scratch in a work dir that already has the file starts a new one.
    Validations outside training (``mim test``, ``runner.val()``) are not recorded.

    Args:
        filename (str): Name of the file in the work dir. Defaults to
            ``'convergence.json'`` (:data:`~hsjp_mmpose.engine.convergence.CONVERGENCE_FILE`,
            where ``load_convergence`` looks in a work dir).
    """

    priority = 'LOW'

    def __init__(self, filename: str = CONVERGENCE_FILE) -> None:
        if not isinstance(filename, str) or not filename or osp.basename(filename) != filename:
            raise ValueError(f'filename must be a file name (no folder), got {filename!r}')
        self.filename = filename
        self.records: List[dict] = []
        self._start: Optional[float] = None
        self._offset = 0.

    def path(self, runner: Runner) -> str:
        """The file this hook writes for ``runner``."""
        return osp.join(runner.work_dir, self.filename)

    def before_train(self, runner: Runner) -> None:
        """Start the clock; after a resume, keep the records up to the resumed point."""
        self._start = time.perf_counter()
        self.records, self._offset = [], 0.
        path = self.path(runner)
        # Runner.train() loads the resumed checkpoint before this hook runs.
        resumed = runner.iter > 0 or runner.epoch > 0
        if not osp.isfile(path):
            return
        if not resumed:
            if is_main_process():
                runner.logger.info(f'{type(self).__name__}: training starts from scratch; '
                                   f'{path} is started anew')
            return
        try:
            with open(path) as f:
                records = json.load(f)
            if not isinstance(records, list):
                raise ValueError('not a JSON list')
        except (OSError, ValueError) as error:
            runner.logger.warning(f'{type(self).__name__}: cannot read {path} ({error}); '
                                  'the records before the resume are lost')
            return
        self.records = [r for r in records if isinstance(r, dict)
                        and r.get('iter', math.inf) <= runner.iter]
        if self.records:
            self._offset = float(self.records[-1].get('elapsed_s', 0.))
        dropped = len(records) - len(self.records)
        if is_main_process():
            runner.logger.info(
                f'{type(self).__name__}: resuming at epoch {runner.epoch}, iteration '
                f'{runner.iter}: kept {len(self.records)} records of {path}'
                + (f', dropped {dropped} later ones' if dropped else ''))

    def after_val_epoch(self, runner: Runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Append (or replace) this validation's record and rewrite the file."""
        if self._start is None:  # not training: mim test, runner.val()
            return
        record = dict(epoch=int(runner.epoch), iter=int(runner.iter),
                      elapsed_s=round(self._offset + time.perf_counter() - self._start, 3),
                      metrics=_plain_metrics(metrics))
        # One record per training point: a second validation at the same iteration
        # replaces the first.
        self.records = [r for r in self.records if r.get('iter') != record['iter']]
        self.records.append(record)
        if is_main_process():
            write_json_atomic(self.records, self.path(runner))

    def after_train(self, runner: Runner) -> None:
        """Stop recording (a later ``runner.val()`` or ``runner.test()`` is not training)."""
        self._start = None
