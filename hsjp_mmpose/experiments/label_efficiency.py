# Copyright (c) hsjp-mmpose contributors.
"""What pretraining is worth in labels: fine-tuning to convergence at several label budgets.

Every source of the pretraining benchmark (:func:`~.pretraining.sources_for` the data
source: scratch, HSJP, jigsaw classification, 2D keypoints, ...) pretrains **once**; its
checkpoint then fine-tunes every task at every label budget N (the first N labelled people
of the downstream training split). Each fine-tuning arm trains until its validation score
stops improving:

* the plateau rule (:class:`~hsjp_mmpose.engine.plateau.PlateauRule`, one pure function
  :func:`~hsjp_mmpose.engine.plateau.plateau` on a recorded curve): validate every
  ``val_every`` iterations (rounded to whole epochs); a validation improves when the curve
  (the mean of the last ``window`` validations) beats the reference (the last improving
  value) by at least ``min_delta``; training stops after ``patience`` validations in a row
  without improvement, or at the cap of ``max_iters`` iterations. During training
  mmengine's ``EarlyStoppingHook`` (window 1) or the plugin's ``PlateauStoppingHook`` applies
  the same rule, so the curve's stop and :func:`plateau` agree;
* the learning rate is about constant after the warm-up (the config's cosine has its
  ``eta_min`` set to the base rate), so a plateau is the data's, not the schedule's;
* an arm reports its best validated score, the iteration it was reached at, its curve and,
  with ``test_split``, the test-split score of its best checkpoint.

A lead at the plateau can be a head start: for every N scratch also trains without the
rule for ``long_scratch_factor`` times the total compute (pretraining + fine-tuning) of
``long_scratch_reference`` (default: the most expensive source, factor 1, "equal total
compute"); a gain is converged only if that long arm stays below the pretrained arm
(:func:`~.plateau.converged_gain`).

Outputs (``results.md``, ``results.json``, ``label_efficiency.png``,
:mod:`.label_efficiency_report`): the score against N per source (log axis); **labels
saved** (the budget scratch needs to match a source's score, interpolated on scratch's
score-vs-log-N curve); the compute of each arm; the long scratch arm per task and N.
"""
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from hsjp_mmpose.experiments.benchmark import (TASK_NAMES, Benchmark, Task, check_positive,
                                               tasks_for)
from hsjp_mmpose.experiments.convergence import load_convergence, metric_curve
from hsjp_mmpose.experiments.data_sources import GeneratedPeople, PreparedData
from hsjp_mmpose.experiments.label_efficiency_report import (format_report, labels_saved,
                                                             plot_results, recipe_table,
                                                             targets)
from hsjp_mmpose.experiments.options import init_options
from hsjp_mmpose.experiments.plateau import (PlateauRule, best_within, converged_gain,
                                             labels_to_match, plateau, plateau_options)
from hsjp_mmpose.experiments.pretraining import (SOURCE_NAMES, Source, hsjp_recipe,
                                                 prepare_source_data, pretrain_arm,
                                                 sources_for)
from hsjp_mmpose.experiments.runner import Arm, check_labelled_people

__all__ = ['PlateauRule', 'plateau', 'best_within', 'labels_to_match', 'plateau_options',
           'converged_gain', 'LabelEfficiencySettings', 'QUICK', 'check_settings',
           'LabelEfficiencyBenchmark', 'format_report', 'labels_saved', 'plot_results',
           'recipe_table', 'targets', 'rule_of', 'budgets_of', 'benchmark_sources']


@dataclass
class LabelEfficiencySettings:
    """What the benchmark runs. ``budgets``: labelled people of the 2D task;
    ``budgets_3d``: those of the 3D task. The defaults are the generated people's; a real
    data set adds its own (:attr:`DATASET_DEFAULTS`, :meth:`for_dataset`)."""

    sources: Sequence[str] = ('scratch', 'hsjp', 'jigsaw-cls', 'keypoints-2d')
    tasks: Sequence[str] = TASK_NAMES
    budgets: Sequence[int] = (50, 200, 800)
    budgets_3d: Sequence[int] = (200,)
    dataset: str = 'generated'
    data_root: Optional[str] = None
    num_train: int = 3000  # downstream training images (all used by self-supervised sources)
    num_val: int = 300
    num_source: int = 1500  # images of the generated source set (up to 2 people each)
    source_max_people: int = 2
    data_level: str = 'easy'
    pretrain_epochs: int = 12
    val_every: int = 60  # fine-tuning iterations between validations (about)
    patience: int = 4
    window: int = 1  # validations the plateau rule averages (1: the raw curve)
    min_delta_ap: float = 0.005  # the 2D metric's least gain (0.5 AP; 0.005 PCK)
    min_delta_mm: float = 1.0
    max_iters: int = 1200  # cap of every fine-tuning arm
    equal_compute: bool = True  # the long scratch arm
    long_scratch_factor: float = 1.  # its compute: this times ...
    long_scratch_reference: Optional[str] = None  # ... this source's (None: the richest)
    long_scratch_budgets: Optional[Sequence[int]] = None  # where it runs (None: every budget)
    val_people: Optional[int] = None  # validate on the first N val people (None: all)
    test_people: Optional[int] = None  # test on the first N test people (None: all)
    pretrain_people: Optional[int] = None  # pretrain on the first N crops (None: all)
    #: budgets at which the sources other than scratch and hsjp run (None: every budget)
    source_budgets: Optional[Sequence[int]] = None
    test_split: bool = False  # score each arm's best checkpoint on the test split
    labels_saved_against: str = 'rule'  # scratch's score per N: its 'rule' arm or 'best' arm
    #: extra HSJP sources with other puzzles (:func:`~.pretraining.hsjp_recipe`)
    hsjp_recipes: Sequence[str] = ()
    seed: int = 0
    quick: bool = False

    #: LSP Extended: 8,000 training photos at 128x128; the plateau judged on the mean of 3
    #: validations; scratch trained on to 2x HSJP's total compute; test-split scores
    DATASET_DEFAULTS = {'lsp-extended': dict(
        sources=('scratch', 'hsjp', 'jigsaw-cls', 'hsjp-generated', 'keypoints-2d-generated'),
        tasks=('pose2d', ), budgets=(50, 200, 1000, 8000), source_budgets=(50, 200),
        pretrain_epochs=4, val_every=150, patience=4, window=3, max_iters=2400,
        long_scratch_factor=2., long_scratch_reference='hsjp', long_scratch_budgets=(50, 200),
        test_split=True, labels_saved_against='best')}

    @classmethod
    def for_dataset(cls, quick: bool = False, **values) -> 'LabelEfficiencySettings':
        """The settings of ``values['dataset']``: the class defaults, the data set's
        (:attr:`DATASET_DEFAULTS`), ``--quick``'s, then ``values``."""
        dataset = values.get('dataset', 'generated')
        base = dict(cls.DATASET_DEFAULTS.get(dataset, {}))
        if quick:
            base.update(QUICK_BY_DATASET.get(dataset, QUICK))
        return cls(**dict(base, **values))


#: ``--quick``: a smoke run of every step in about a quarter of an hour on 2 cores; its
#: arms are far from converged (small data, short pretraining, a low cap).
QUICK = dict(budgets=(50, 200), budgets_3d=(200,), num_train=400, num_val=60,
             num_source=200, pretrain_epochs=2, val_every=25, patience=2, max_iters=100,
             quick=True)
QUICK_BY_DATASET = {'generated': QUICK, 'lsp-extended': dict(
    budgets=(50, 200), source_budgets=(50, ), num_source=200, pretrain_epochs=1,
    val_every=25, patience=2, window=1, max_iters=100, val_people=200, test_people=200,
    pretrain_people=2000, quick=True)}


def benchmark_sources(s: LabelEfficiencySettings, source=None) -> List[Source]:
    """The benchmark's sources, in report order: the asked-for standard ones, then the
    HSJP recipes."""
    source = source or LabelEfficiencyBenchmark.data_source(s)
    return ([x for x in sources_for(source) if x.name in s.sources]
            + [hsjp_recipe(r, source) for r in s.hsjp_recipes or ()])


def rule_of(task: Task, s: LabelEfficiencySettings) -> PlateauRule:
    """The plateau rule of a task: its metric's direction, the settings' patience, window
    and least gain (``min_delta_ap`` for 2D, ``min_delta_mm`` for 3D)."""
    return PlateauRule(s.patience, s.min_delta_ap if task.name == 'pose2d' else s.min_delta_mm,
                       task.higher_is_better, s.window)


def budgets_of(task: Task, s: LabelEfficiencySettings) -> List[int]:
    return sorted(s.budgets if task.name == 'pose2d' else s.budgets_3d)


def _subset_options(s: LabelEfficiencySettings) -> List[str]:
    """The first ``val_people`` / ``test_people`` of the val and test splits."""
    return ([f'val_dataloader.dataset.indices={s.val_people}'] if s.val_people else []) + (
        [f'test_dataloader.dataset.indices={s.test_people}'] if s.test_people else [])


def _runs_at(source: Source, n: int, s: LabelEfficiencySettings) -> bool:
    """Whether ``source`` fine-tunes at budget ``n`` (scratch and HSJP at every budget)."""
    return (s.source_budgets is None or source.name in ('scratch', 'hsjp')
            or n in s.source_budgets)


def check_settings(s: LabelEfficiencySettings, source=None) -> None:
    """Fail at once, naming the setting, before any data or training."""
    check_positive(s, ('num_train', 'num_val', 'num_source', 'source_max_people',
                       'pretrain_epochs', 'val_every', 'patience', 'window', 'max_iters'))
    for name in ('budgets', 'budgets_3d'):
        values = list(getattr(s, name))
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values) \
                or len(set(values)) != len(values):
            raise ValueError(f'{name} must be distinct integers >= 1, got {values}')
    source = source or LabelEfficiencyBenchmark.data_source(s)
    names = [x.name for x in sources_for(source)]
    unknown = [x for x in s.sources if x not in names]
    if unknown or not s.sources:
        raise ValueError(f'sources: unknown {unknown} for the {source.name} data; choose from '
                         f'{names}')
    if 'scratch' not in s.sources:
        raise ValueError('sources must include scratch: labels saved and the long scratch '
                         'arms are measured against it')
    tasks = [t.name for t in tasks_for(source)]
    unknown = [x for x in s.tasks if x not in tasks]
    if unknown or not s.tasks:
        raise ValueError(f'tasks: unknown {unknown} for the {source.name} data; choose from '
                         f'{tasks}')
    if 'pose2d' in s.tasks and not s.budgets:
        raise ValueError('budgets is empty but the pose2d task is asked for')
    if 'pose3d' in s.tasks and not s.budgets_3d:
        raise ValueError('budgets_3d is empty but the pose3d task is asked for')
    for name in ('source_budgets', 'long_scratch_budgets'):
        values = getattr(s, name)
        if values is not None and not set(values) <= set(s.budgets) | set(s.budgets_3d):
            raise ValueError(f'{name} {list(values)} must be among the budgets '
                             f'{list(s.budgets)} (3D: {list(s.budgets_3d)})')
    for name in ('val_people', 'test_people', 'pretrain_people'):
        value = getattr(s, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ValueError(f'{name} must be an integer >= 1 or None, got {value!r}')
    names = [x.name for x in benchmark_sources(s, source)]  # raises on a bad recipe
    if len(set(names)) != len(names):
        raise ValueError(f'hsjp_recipes name the same puzzle twice: {list(s.hsjp_recipes)}')
    if s.min_delta_ap < 0 or s.min_delta_mm < 0:
        raise ValueError('min_delta_ap and min_delta_mm must be >= 0')
    if not s.long_scratch_factor > 0:
        raise ValueError(f'long_scratch_factor must be > 0, got {s.long_scratch_factor}')
    if s.long_scratch_reference is not None and s.long_scratch_reference not in s.sources:
        raise ValueError(f'long_scratch_reference {s.long_scratch_reference!r} is not among '
                         f'the sources {list(s.sources)}')
    if s.labels_saved_against not in ('rule', 'best'):
        raise ValueError(f"labels_saved_against must be 'rule' or 'best', got "
                         f'{s.labels_saved_against!r}')
    from hsjp_mmpose.synthetic.levels import get_data_level
    get_data_level(s.data_level)
    most = source.max_labelled()
    largest = max(list(s.budgets) + list(s.budgets_3d if 'pose3d' in s.tasks else []))
    if largest > most:
        where = (f'num_train ({s.num_train}) downstream images of the {s.data_level} level '
                 'can hold' if isinstance(source, GeneratedPeople)
                 else f'the {source.title} training split holds')
        raise ValueError(f'a label budget of {largest} is more people than {where} ({most}); '
                         f'{source.more_labels_hint()}')


class LabelEfficiencyBenchmark(Benchmark):
    """Runs the source x task x budget matrix in ``work_dir`` (resumable) and reports it."""

    name = 'label-efficiency'
    settings_class = LabelEfficiencySettings
    plot_name = 'label_efficiency.png'

    @staticmethod
    def check(settings, source) -> None:
        check_settings(settings, source)

    def _pretrain(self, source: Source, data: Dict[str, PreparedData]) -> Optional[dict]:
        s = self.settings
        arm = pretrain_arm(source, self.source, data, s.pretrain_epochs, s.seed)
        if arm is None:
            return None
        if s.pretrain_people:
            arm.options.append(f'train_dataloader.dataset.indices={s.pretrain_people}')
        run = self.runner.run(arm)
        records = run.get('convergence') or []
        iters = [r.get('iter') for r in records if r.get('iter')]
        last = records[-1].get('metrics', {}) if records else {}
        return dict(work_dir=run['work_dir'], seconds=run['train_seconds'],
                    iters=max(iters) if iters else None,
                    patch_accuracy=last.get('jigsaw/patch_accuracy'))

    def _arm(self, name: str, task: Task, source: Source, pretrain: Optional[dict],
             data: PreparedData, num_labelled: int, rule: Optional[PlateauRule],
             max_iters: int) -> dict:
        s = self.settings
        config = task.init_config(self.source) if pretrain else task.scratch_config(self.source)
        options = data.options(config) + plateau_options(
            config, num_labelled, rule, task.metric.key, s.val_every, max_iters) + [
            f'randomness.seed={s.seed}']
        options += _subset_options(s)
        if pretrain:
            options += init_options(Path(pretrain['work_dir']), source.transfer, config)
        run = self.runner.run(Arm(name, config, options, test=s.test_split,
                                  test_checkpoint='best' if s.test_split else 'last'))
        return self._result(run, task, rule or rule_of(task, s))

    @staticmethod
    def _result(run: dict, task: Task, rule: PlateauRule) -> dict:
        records = run.get('convergence') or load_convergence(run['work_dir'])
        iters, values = metric_curve(records, task.metric.key, x='iter')
        result = dict(plateau(iters, values, rule), work_dir=run['work_dir'],
                      finetune_s=run['train_seconds'], last_iter=int(iters[-1]),
                      curve=[[int(i), float(v)] for i, v in zip(iters, values)])
        if run.get('test'):
            result['test'] = run['test']
        if task.name == 'pose3d':  # P-MPJPE at the best-MPJPE validation
            at = {r.get('iter'): r['metrics'] for r in records}
            result['p_mpjpe'] = at.get(result['best_iter'], {}).get('P-MPJPE')
        return result

    def run(self) -> dict:
        """Run every arm and write the report."""
        s = self.settings
        sources = benchmark_sources(s, self.source)
        tasks = [t for t in tasks_for(self.source) if t.name in s.tasks]
        data = prepare_source_data(self.runner, self.source, sources, s)
        largest = max(b for t in tasks for b in budgets_of(t, s))
        check_labelled_people(largest, tasks[0].scratch_config(self.source),
                              data['downstream'].train, self.source.more_labels_hint())
        self.runner.say('plateau rule: ' + '; '.join(
            rule_of(t, s).describe(t.metric.key, s.val_every, s.max_iters) for t in tasks))
        pretrained = {}
        for source in sources:  # each source pretrains once
            pretrained[source.name] = self._pretrain(source, data)
            self.save()
        arms: Dict[str, Dict[str, Dict[str, dict]]] = {}
        for task in tasks:
            arms[task.name] = {}
            for n in budgets_of(task, s):
                row = arms[task.name][str(n)] = {}
                for source in (x for x in sources if _runs_at(x, n, s)):
                    pretrain = pretrained[source.name]
                    result = self._arm(f'{task.name}_n{n}_{source.name}', task, source,
                                       pretrain, data['downstream'], n, rule_of(task, s),
                                       s.max_iters)
                    result['pretrain_s'] = pretrain['seconds'] if pretrain else 0.
                    result['pretrain_iters'] = pretrain['iters'] if pretrain else 0
                    result['total_s'] = round(result['pretrain_s'] + result['finetune_s'], 1)
                    row[source.name] = result
                    self.save(arms=arms)
                if s.equal_compute and len(row) > 1 and (
                        s.long_scratch_budgets is None or n in s.long_scratch_budgets):
                    row['scratch_equal_compute'] = self._long_scratch(task, n, row, data)
                    self.save(arms=arms)
        self.results = self.totals(settings=self.settings_dict(), arms=arms,
                                   pretraining={k: v for k, v in pretrained.items() if v})
        if 'pose3d' in s.tasks:
            self.results['mean_pose'] = self._mean_pose(data['downstream'])
        if 'pose2d' in s.tasks and s.test_split:
            self.results['mean_pose_2d'] = self._mean_pose_2d(tasks[0], data['downstream'])
        self.results['labels_saved'] = labels_saved(self.results)
        self.write_report()
        return self.results

    def _long_scratch(self, task: Task, n: int, row: dict, data: dict) -> dict:
        """Scratch given ``long_scratch_factor`` times the total compute (pretraining +
        fine-tuning, seconds) of ``long_scratch_reference`` (default: the most expensive
        source at this N), converted to iterations at scratch's own measured seconds per
        iteration: read off scratch's plateau arm when that trained long enough, else a
        scratch arm without the plateau rule, capped at that budget."""
        s = self.settings
        scratch = row['scratch']
        reference = s.long_scratch_reference if s.long_scratch_reference in row else None
        if reference is None:
            reference = max((k for k in row if k != 'scratch'), key=lambda k: row[k]['total_s'])
        budget_s = s.long_scratch_factor * row[reference]['total_s']
        per_iter = scratch['finetune_s'] / max(scratch['last_iter'], 1)
        budget_it = int(budget_s / per_iter)
        out = dict(budget_s=budget_s, budget_iters=budget_it, matches=reference,
                   factor=s.long_scratch_factor, seconds_per_iter=round(per_iter, 4))
        if budget_it <= scratch['last_iter']:
            run, out['arm'] = scratch, f'{task.name}_n{n}_scratch'
        else:
            out['arm'] = f'{task.name}_n{n}_scratch_eqc'
            scratch_source = next(x for x in sources_for(self.source) if x.role is None)
            run = self._arm(out['arm'], task, scratch_source, None, data['downstream'], n,
                            None, budget_it)
            out.update(work_dir=run['work_dir'], finetune_s=run['finetune_s'],
                       last_iter=run['last_iter'])
            if run.get('test'):
                out['test'] = run['test']
        curve = run['curve']
        found = best_within([c[0] for c in curve], [c[1] for c in curve], budget_it,
                            task.higher_is_better)
        out['best'], out['best_iter'] = found if found else (None, None)
        out['final'] = curve[-1][1] if curve else None
        if task.name == 'pose3d' and found:
            at = {r.get('iter'): r['metrics'] for r in load_convergence(run['work_dir'])}
            out['p_mpjpe'] = at.get(out['best_iter'], {}).get('P-MPJPE')
        return out

    def _mean_pose(self, data: PreparedData) -> Dict[str, dict]:
        from hsjp_mmpose.evaluation.mean_pose import mean_pose_baseline_of_config
        task = next(t for t in tasks_for(self.source) if t.name == 'pose3d')
        config = task.scratch_config(self.source)
        return {str(n): mean_pose_baseline_of_config(
            config, data.options(config) + [f'train_dataloader.dataset.indices={n}'])
            for n in budgets_of(task, self.settings)}

    def _mean_pose_2d(self, task: Task, data: PreparedData) -> Dict[str, dict]:
        """The mean training pose of the first N people placed in every test box."""
        from hsjp_mmpose.evaluation.mean_pose import mean_pose_2d_baseline_of_config
        config = task.scratch_config(self.source)
        return {str(n): mean_pose_2d_baseline_of_config(
            config, data.options(config) + [f'train_dataloader.dataset.indices={n}'])
            for n in budgets_of(task, self.settings)}

    def settings_dict(self) -> dict:
        return {f.name: getattr(self.settings, f.name) for f in fields(self.settings)}

    def format_report(self, results: dict) -> str:
        return format_report(results)

    def plot(self, results: dict, path: Path) -> str:
        return plot_results(results, path)


def settings_from_results(results: dict) -> LabelEfficiencySettings:
    """The settings as ``results.json`` keeps them."""
    names = {f.name for f in fields(LabelEfficiencySettings)}
    return LabelEfficiencySettings(**{k: (tuple(v) if isinstance(v, list) else v)
                                      for k, v in results['settings'].items() if k in names})


__all__ += ['settings_from_results', 'SOURCE_NAMES']
