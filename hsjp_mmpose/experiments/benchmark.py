# Copyright (c) hsjp-mmpose contributors.
"""What every benchmark shares: the downstream :class:`Task` (its configs come from the
data source, its metric ranks the arms) and the :class:`Benchmark` skeleton (settings
checked before any work, the data source, the runner, resumed totals, the report)."""
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from hsjp_mmpose.experiments.data_sources import (MPJPE, DataSource, RankingMetric,
                                                  data_source)
from hsjp_mmpose.experiments.report import write_report
from hsjp_mmpose.experiments.runner import ExperimentRunner

__all__ = ['Task', 'TASK_NAMES', 'tasks_for', 'settings_for', 'Benchmark', 'check_positive',
           'footer']


@dataclass(frozen=True)
class Task:
    """A downstream task: the config roles it fine-tunes (from scratch, from a pretrained
    checkpoint) and the metric that ranks it."""

    name: str
    scratch_role: str
    init_role: str
    metric: RankingMetric

    @property
    def higher_is_better(self) -> bool:
        return self.metric.higher_is_better

    def scratch_config(self, source: DataSource) -> Path:
        return source.config(self.scratch_role)

    def init_config(self, source: DataSource) -> Path:
        return source.config(self.init_role)

    def format(self, value: Optional[float]) -> str:
        return '-' if value is None else self.metric.format(value)


TASK_NAMES = ('pose2d', 'pose3d')


def tasks_for(source: DataSource) -> Tuple[Task, ...]:
    """The tasks a data source offers: 2D pose ranked by its metric, and 3D pose (MPJPE)
    where it has 3D configs."""
    tasks = [Task('pose2d', 'pose2d-scratch', 'pose2d-init', source.metric)]
    if source.has('pose3d-scratch'):
        tasks.append(Task('pose3d', 'pose3d-scratch', 'pose3d-init', MPJPE))
    return tuple(tasks)


def settings_for(cls, dataset_defaults: Dict[str, dict], **values):
    """``cls(**values)`` on top of the defaults of ``values['dataset']`` (the class's own
    defaults are the generated people's)."""
    dataset = values.get('dataset', 'generated')
    return cls(**dict(dataset_defaults.get(dataset, {}), **values))


def check_positive(settings, names) -> None:
    """Each of ``names`` is an integer >= 1 (a message naming the setting otherwise)."""
    for name in names:
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an integer >= 1, got {value!r}')


def footer(results: dict) -> List[str]:
    """The report's last line: the whole benchmark's wall time, over resumed runs."""
    if not results.get('total_seconds'):
        return []
    runs = results.get('invocations', 1)
    return ['', f"Whole benchmark: {results['total_seconds'] / 60:.1f} min"
            + (f' (over {runs} invocations; a resumed run reuses finished arms).'
               if runs > 1 else '.')]


class Benchmark:
    """The skeleton of a benchmark: settings (checked at once), the data source they
    name, one :class:`ExperimentRunner` in ``work_dir`` and totals that add up over
    resumed invocations. Subclasses set :attr:`name`, :attr:`settings_class`,
    :attr:`plot_name`, and implement :meth:`check`, :meth:`run`, :meth:`format_report`
    and :meth:`plot`.

    The settings carry ``dataset`` and ``data_root`` (the data source) and the generated
    people's settings (``num_train``, ``num_val``, ``data_level``, ``seed``), which a
    real data set ignores.
    """

    name = 'benchmark'
    settings_class = None
    plot_name = 'convergence.png'
    #: the generator's extra arguments for the downstream data (e.g. ``max_people``)
    generator_options: Tuple[str, ...] = ()

    def __init__(self, work_dir, settings=None,
                 log: Optional[Callable[[str], None]] = None) -> None:
        self.settings = settings or self.settings_class()
        self.source = self.data_source(self.settings)
        self.check(self.settings, self.source)
        self.source.check()
        self.runner = ExperimentRunner(work_dir, log=log, name=self.name)
        self.work_dir = self.runner.work_dir
        # a resumed benchmark adds to the time its earlier invocations took
        self._earlier = dict(seconds=self.runner.extra.get('total_seconds', 0.),
                             invocations=self.runner.extra.get('invocations', 0))
        self._start = time.time()
        self.results: dict = {}

    @classmethod
    def data_source(cls, s) -> DataSource:
        generated = dict(num_train=s.num_train, num_val=s.num_val, level=s.data_level,
                         seed=s.seed)
        options = {k: getattr(s, k) for k in cls.generator_options}
        if options:
            generated['generator_options'] = options
        return data_source(s.dataset, s.data_root, **generated)

    @staticmethod
    def check(settings, source: DataSource) -> None:
        """Fail at once, naming the setting, before any data or training."""

    def settings_dict(self) -> dict:
        return asdict(self.settings)

    def save(self, **results) -> None:
        """``results.json`` with the arms so far, the settings and the totals."""
        self.runner.save(extra=self.totals(settings=self.settings_dict(), **results))

    def totals(self, **results) -> dict:
        """``results`` with the wall time of this and earlier invocations."""
        return dict(results,
                    total_seconds=round(self._earlier['seconds'] + time.time() - self._start,
                                        1),
                    invocations=self._earlier['invocations'] + 1)

    def format_report(self, results: dict) -> str:
        raise NotImplementedError

    def plot(self, results: dict, path: Path) -> str:
        raise NotImplementedError

    def write_report(self) -> str:
        text = self.format_report(self.results)
        write_report(self.runner, text, extra=self.results,
                     plot=lambda path: self.plot(self.results, path),
                     plot_name=self.plot_name)
        return text


def settings_from_dict(cls, saved: dict):
    """Settings back from ``results.json`` (lists become tuples)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items()
                  if k in names})
