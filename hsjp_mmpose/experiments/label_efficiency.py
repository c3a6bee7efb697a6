# Copyright (c) hsjp-mmpose contributors.
"""What pretraining is worth in labels: fine-tuning to convergence at several label budgets.

Every source of the pretraining benchmark (:data:`~.pretraining.SOURCES`: scratch, HSJP,
jigsaw classification, 2D keypoints) pretrains **once**; its checkpoint then fine-tunes
every task at every label budget N (the first N labelled people of the downstream
training split). Each fine-tuning arm trains until its validation score stops improving:

* the plateau rule (:class:`PlateauRule`, one pure function :func:`plateau` on a recorded
  curve): validate every ``val_every`` iterations (rounded to whole epochs); a validation
  improves when it beats the reference (the last improving score) by at least
  ``min_delta``; training stops after ``patience`` validations in a row without
  improvement, or at the cap of ``max_iters`` iterations. During training mmengine's own
  ``EarlyStoppingHook`` applies the same rule (same comparisons, same reference), so the
  curve's stop and :func:`plateau` agree (tested; an arm resumed half-way restarts the
  hook's count, so it may train a little longer than the rule says);
* the learning rate is about constant after the warm-up (the config's cosine has its
  ``eta_min`` set to the base rate; chained with the warm-up it starts 4% above it and eases
  back), so a plateau is the data's, not the schedule's;
* an arm reports its best validated score, the iteration it was reached at, and its curve.

Outputs (``results.md``, ``results.json``, ``label_efficiency.png``): the score against N
per source (log axis); **labels saved** (:func:`labels_to_match`: the budget scratch needs
to match a source's score, interpolated on scratch's score-vs-log-N curve); the compute of
each arm (pretraining counted once per source, plus fine-tuning, in seconds and
iterations) and an **equal-total-compute scratch point** per task and N: scratch trained
as long as the most expensive source's pretraining plus fine-tuning, its best validated
score within that budget (:func:`best_within`).
"""
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from hsjp_mmpose.experiments.convergence import load_convergence, metric_curve
from hsjp_mmpose.experiments.options import (coco_data_root_options, init_options,
                                             load_config, pipeline_index, schedule_options)
from hsjp_mmpose.experiments.pretraining import (CONFIG_DIR, HSJP_SOURCE, SOURCE_NAMES, SOURCES,
                                                 TASK_NAMES, TASKS, Source, Task, hsjp_recipe,
                                                 pretrain_arm)
from hsjp_mmpose.experiments.report import format_ap, markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner, check_labelled_people

__all__ = ['PlateauRule', 'plateau', 'best_within', 'labels_to_match', 'plateau_options',
           'LabelEfficiencySettings', 'QUICK', 'check_settings', 'LabelEfficiencyBenchmark',
           'format_report', 'plot_results']


# ---------------------------------------------------------------------- the plateau rule
@dataclass(frozen=True)
class PlateauRule:
    """When a fine-tuning arm has converged (see :func:`plateau`).

    Args:
        patience: validations in a row without improvement that stop training.
        min_delta: the least gain over the reference that counts as an improvement (in
            the metric's units: AP as a fraction, MPJPE in mm).
        higher_is_better: the metric's direction.
    """
    patience: int
    min_delta: float
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) \
                or self.patience < 1:
            raise ValueError(f'patience must be an integer >= 1, got {self.patience!r}')
        if not self.min_delta >= 0:
            raise ValueError(f'min_delta must be >= 0, got {self.min_delta!r}')

    def describe(self, metric: str, val_every: int, max_iters: int) -> str:
        better = 'higher' if self.higher_is_better else 'lower'
        return (f'{metric}: validate every ~{val_every} iterations (whole epochs); a '
                f'validation improves when it is at least {self.min_delta:g} {better} than '
                f'the last improving one; stop after {self.patience} validations in a row '
                f'without improvement, or at {max_iters} iterations (cap)')


def plateau(iters: Sequence[int], values: Sequence[float], rule: PlateauRule) -> dict:
    """Apply the plateau rule to a recorded validation curve.

    The rule is mmengine's ``EarlyStoppingHook`` (``check_finite`` on, no threshold): the
    reference starts at -inf (+inf when lower is better); a value ``v`` improves when
    ``v >= ref + min_delta`` (``v <= ref - min_delta``), and becomes the reference; else a
    counter rises, and reaching ``patience`` (or a non-finite value) stops training there.

    Args:
        iters: iteration of each validation, increasing.
        values: the metric at each validation.
        rule: :class:`PlateauRule`.

    Returns:
        dict: ``stopped`` (the rule stopped the curve; False: it ran to its end, e.g. the
        cap), ``stop_iter`` (the validation it stopped at, else the last), ``best`` and
        ``best_iter`` (the best finite value up to the stop, first reached), ``num_vals``
        (validations up to the stop).

    Raises:
        ValueError: on an empty curve or lengths that differ.
    """
    if len(iters) != len(values) or not len(values):
        raise ValueError(f'a curve needs as many iterations as values, at least one; got '
                         f'{len(iters)} and {len(values)}')
    sign = 1. if rule.higher_is_better else -1.
    reference, wait, stop = -math.inf, 0, len(values) - 1
    stopped = False
    for i, value in enumerate(values):
        score = sign * float(value)
        if not math.isfinite(score):
            stopped, stop = True, i
            break
        if score >= reference + rule.min_delta:
            reference, wait = score, 0
        else:
            wait += 1
            if wait >= rule.patience:
                stopped, stop = True, i
                break
    finite = [(sign * float(v), i) for i, v in enumerate(values[:stop + 1])
              if math.isfinite(float(v))]
    best_index = max(finite, key=lambda x: (x[0], -x[1]))[1] if finite else None
    return dict(stopped=stopped, stop_iter=int(iters[stop]), num_vals=stop + 1,
                best=None if best_index is None else float(values[best_index]),
                best_iter=None if best_index is None else int(iters[best_index]))


def best_within(iters: Sequence[int], values: Sequence[float], max_iter: float,
                higher_is_better: bool = True) -> Optional[Tuple[float, int]]:
    """The best value validated at or before ``max_iter`` and its iteration (first
    reached); ``None`` when no validation is that early."""
    sign = 1. if higher_is_better else -1.
    inside = [(sign * v, -it, v, it) for it, v in zip(iters, values)
              if it <= max_iter and math.isfinite(v)]
    if not inside:
        return None
    _, _, value, it = max(inside)
    return float(value), int(it)


def labels_to_match(budgets: Sequence[int], scores: Sequence[float], target: float,
                    higher_is_better: bool = True) -> dict:
    """The label budget at which a curve (scratch's score per budget) first reaches
    ``target``, interpolated linearly in log N between the two budgets around the first
    crossing.

    Returns:
        dict: ``labels`` and ``bound``: ``'exact'`` (interpolated), ``'at_most'`` (the
        smallest budget already reaches it: ``labels`` is that budget) or ``'more_than'``
        (no budget reaches it: ``labels`` is the largest budget).

    Raises:
        ValueError: on fewer than one budget, lengths that differ or budgets <= 0.
    """
    if len(budgets) != len(scores) or not budgets or min(budgets) <= 0:
        raise ValueError(f'budgets (> 0) and scores must be non-empty and of one length; '
                         f'got {list(budgets)} and {list(scores)}')
    sign = 1. if higher_is_better else -1.
    points = sorted(zip(budgets, (sign * s for s in scores)))
    goal = sign * target
    if points[0][1] >= goal:
        return dict(labels=float(points[0][0]), bound='at_most')
    for (n0, s0), (n1, s1) in zip(points, points[1:]):
        if s1 >= goal > s0:
            t = (goal - s0) / (s1 - s0)
            labels = math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))
            return dict(labels=labels, bound='exact')
    return dict(labels=float(points[-1][0]), bound='more_than')


# ---------------------------------------------------------------------- the overrides
def plateau_options(config, num_labelled: int, rule: Optional[PlateauRule], metric: str,
                    val_every: int, max_iters: int) -> List[str]:
    """Overrides that fine-tune ``config`` on its first ``num_labelled`` people until the
    plateau rule stops it (``rule=None``: until the cap), validating every ~``val_every``
    iterations, with a constant learning rate after the warm-up.

    Epochs are whole: with ``b`` iterations per epoch (``ceil(N / batch size)``), validation
    every ``max(1, round(val_every / b))`` epochs, and the cap rounded up to whole
    validations. Checkpoints are kept at every validation (the last one, for resuming).

    Raises:
        ValueError: when the config's by-epoch scheduler is not a ``CosineAnnealingLR``
            (the one whose floor is raised to make the rate constant).
    """
    cfg = load_config(config)
    batch = int(cfg.train_dataloader.batch_size)
    per_epoch = math.ceil(num_labelled / batch)
    val_epochs = max(1, round(val_every / per_epoch))
    max_epochs = val_epochs * max(1, math.ceil(max_iters / (val_epochs * per_epoch)))
    lr = float(cfg.optim_wrapper.optimizer.lr)
    options = schedule_options(cfg, max_epochs, val_interval=val_epochs)
    schedulers = cfg.get('param_scheduler') or []
    for i, sched in enumerate([schedulers] if isinstance(schedulers, dict) else schedulers):
        if not sched.get('by_epoch', True):
            continue  # the warm-up
        if sched.get('type') != 'CosineAnnealingLR':
            raise ValueError(f'param_scheduler.{i} of {config} is {sched.get("type")}; the '
                             'label-efficiency arms make a CosineAnnealingLR constant '
                             '(eta_min = lr): give the config one')
        options.append(f'param_scheduler.{i}.eta_min={lr}')
    options += [f'train_dataloader.dataset.indices={num_labelled}',
                f'default_hooks.checkpoint.interval={val_epochs}']
    if rule is not None:
        options += ['default_hooks.early_stopping.type=EarlyStoppingHook',
                    f'default_hooks.early_stopping.monitor={metric}',
                    'default_hooks.early_stopping.rule='
                    + ('greater' if rule.higher_is_better else 'less'),
                    f'default_hooks.early_stopping.min_delta={float(rule.min_delta)}',
                    f'default_hooks.early_stopping.patience={rule.patience}',
                    'default_hooks.early_stopping.strict=True']
    return options


# ---------------------------------------------------------------------- settings
@dataclass
class LabelEfficiencySettings:
    """What the benchmark runs. ``budgets``: labelled people of the 2D task;
    ``budgets_3d``: those of the 3D task."""

    sources: Sequence[str] = SOURCE_NAMES
    tasks: Sequence[str] = TASK_NAMES
    budgets: Sequence[int] = (50, 200, 800)
    budgets_3d: Sequence[int] = (200,)
    num_train: int = 3000  # downstream training images (all used by self-supervised sources)
    num_val: int = 300
    num_source: int = 1500  # images of the labelled 2D source set (up to 2 people each)
    source_max_people: int = 2
    data_level: str = 'easy'
    pretrain_epochs: int = 12
    val_every: int = 60  # fine-tuning iterations between validations (about)
    patience: int = 4
    min_delta_ap: float = 0.005  # 0.5 AP
    min_delta_mm: float = 1.0
    max_iters: int = 1200  # cap of every fine-tuning arm
    equal_compute: bool = True
    #: extra HSJP sources with other puzzles (:func:`~.pretraining.hsjp_recipe`: ``'RxC:J'``
    #: or ``'RxC:J:E'``), to choose the recipe by transfer
    hsjp_recipes: Sequence[str] = ()
    seed: int = 0
    quick: bool = False


#: ``--quick``: a smoke run of every step in about a quarter of an hour on 2 cores; its
#: arms are far from converged (small data, short pretraining, a low cap).
QUICK = dict(budgets=(50, 200), budgets_3d=(200,), num_train=400, num_val=60,
             num_source=200, pretrain_epochs=2, val_every=25, patience=2, max_iters=100,
             quick=True)


def check_settings(s: LabelEfficiencySettings) -> None:
    """Fail at once, naming the setting, before any data or training."""
    for name in ('num_train', 'num_val', 'num_source', 'source_max_people', 'pretrain_epochs',
                 'val_every', 'patience', 'max_iters'):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an integer >= 1, got {value!r}')
    for name in ('budgets', 'budgets_3d'):
        values = list(getattr(s, name))
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values) \
                or len(set(values)) != len(values):
            raise ValueError(f'{name} must be distinct integers >= 1, got {values}')
    if 'pose2d' in s.tasks and not s.budgets:
        raise ValueError('budgets is empty but the pose2d task is asked for')
    if 'pose3d' in s.tasks and not s.budgets_3d:
        raise ValueError('budgets_3d is empty but the pose3d task is asked for')
    unknown = [x for x in s.sources if x not in SOURCE_NAMES]
    if unknown or not s.sources:
        raise ValueError(f'sources: unknown {unknown}; choose from {list(SOURCE_NAMES)}')
    if 'scratch' not in s.sources:
        raise ValueError('sources must include scratch: labels saved and the equal-compute '
                         'point are measured against it')
    unknown = [x for x in s.tasks if x not in TASK_NAMES]
    if unknown or not s.tasks:
        raise ValueError(f'tasks: unknown {unknown}; choose from {list(TASK_NAMES)}')
    names = [hsjp_recipe(r).name for r in s.hsjp_recipes]  # raises on a bad recipe
    if len(set(names)) != len(names):
        raise ValueError(f'hsjp_recipes name the same puzzle twice: {list(s.hsjp_recipes)}')
    if s.min_delta_ap < 0 or s.min_delta_mm < 0:
        raise ValueError('min_delta_ap and min_delta_mm must be >= 0')
    from hsjp_mmpose.synthetic.levels import get_data_level
    most = s.num_train * get_data_level(s.data_level).max_people
    largest = max(list(s.budgets) + list(s.budgets_3d))
    if largest > most:
        raise ValueError(f'a label budget of {largest} is more people than num_train '
                         f'({s.num_train}) downstream images of the {s.data_level} level can '
                         f'hold ({most}); lower the budget or raise num_train')


def _rule(task: Task, s: LabelEfficiencySettings) -> PlateauRule:
    return PlateauRule(s.patience, s.min_delta_ap if task.higher_is_better else s.min_delta_mm,
                       task.higher_is_better)


def _budgets(task: Task, s: LabelEfficiencySettings) -> List[int]:
    return sorted(s.budgets if task.name == 'pose2d' else s.budgets_3d)


def _sources(settings: dict) -> List[Source]:
    """The benchmark's sources, in report order: the asked-for standard ones, then the
    HSJP recipes. ``settings``: the settings as ``results.json`` keeps them (``asdict``)."""
    return ([x for x in SOURCES if x.name in settings['sources']]
            + [hsjp_recipe(r) for r in settings.get('hsjp_recipes') or ()])


# ---------------------------------------------------------------------- the benchmark
class LabelEfficiencyBenchmark:
    """Runs the source x task x budget matrix in ``work_dir`` (resumable) and reports it."""

    def __init__(self, work_dir, settings: Optional[LabelEfficiencySettings] = None,
                 log: Optional[Callable[[str], None]] = None) -> None:
        self.settings = settings or LabelEfficiencySettings()
        check_settings(self.settings)
        self.runner = ExperimentRunner(work_dir, log=log, name='label-efficiency')
        self.work_dir = self.runner.work_dir
        self._earlier = dict(seconds=self.runner.extra.get('total_seconds', 0.),
                             invocations=self.runner.extra.get('invocations', 0))

    def _pretrain(self, source: Source, data: Dict[str, Path]) -> Optional[dict]:
        arm = pretrain_arm(source, data, self.settings.pretrain_epochs, self.settings.seed)
        if arm is None:
            return None
        run = self.runner.run(arm)
        records = run.get('convergence') or []
        iters = [r.get('iter') for r in records if r.get('iter')]
        last = records[-1].get('metrics', {}) if records else {}
        return dict(work_dir=run['work_dir'], seconds=run['train_seconds'],
                    iters=max(iters) if iters else None,
                    patch_accuracy=last.get('jigsaw/patch_accuracy'))

    def _arm(self, name: str, task: Task, source: Source, pretrain: Optional[dict],
             data_root: Path, num_labelled: int, rule: Optional[PlateauRule],
             max_iters: int) -> dict:
        s = self.settings
        config = CONFIG_DIR / (task.init_config if pretrain else task.scratch_config)
        options = coco_data_root_options(data_root) + plateau_options(
            config, num_labelled, rule, task.metric, s.val_every, max_iters) + [
            f'randomness.seed={s.seed}']
        if pretrain:
            options += init_options(Path(pretrain['work_dir']), source.transfer, config)
        run = self.runner.run(Arm(name, config, options, test=False))
        return self._result(run, task, rule or _rule(task, s))

    @staticmethod
    def _result(run: dict, task: Task, rule: PlateauRule) -> dict:
        records = run.get('convergence') or load_convergence(run['work_dir'])
        iters, values = metric_curve(records, task.metric, x='iter')
        result = dict(plateau(iters, values, rule), work_dir=run['work_dir'],
                      finetune_s=run['train_seconds'], last_iter=int(iters[-1]),
                      curve=[[int(i), float(v)] for i, v in zip(iters, values)])
        if task.name == 'pose3d':  # P-MPJPE at the best-MPJPE validation
            at = {r.get('iter'): r['metrics'] for r in records}
            result['p_mpjpe'] = at.get(result['best_iter'], {}).get('P-MPJPE')
        return result

    def run(self) -> dict:
        """Run every arm and write the report."""
        s = self.settings
        start = time.time()
        sources = _sources(asdict(s))
        tasks = [t for t in TASKS if t.name in s.tasks]
        data = dict(downstream=self.runner.data(
            f'{s.data_level}_seed{s.seed}', s.num_train, s.num_val, seed=s.seed,
            level=s.data_level))
        largest = max(b for t in tasks for b in _budgets(t, s))
        check_labelled_people(largest, CONFIG_DIR / TASKS[0].scratch_config, data['downstream'])
        if any(x.data == 'source' for x in sources):
            data['source'] = self.runner.data(
                f'source_{s.data_level}_seed{s.seed + 1000}', s.num_source, min(50, s.num_val),
                seed=s.seed + 1000, level=s.data_level, max_people=s.source_max_people)
        self.runner.say('plateau rule: ' + '; '.join(
            _rule(t, s).describe(t.metric, s.val_every, s.max_iters) for t in tasks))
        pretrained = {}
        for source in sources:  # each source pretrains once
            pretrained[source.name] = self._pretrain(source, data)
            self._save(start)
        arms: Dict[str, Dict[str, Dict[str, dict]]] = {}
        for task in tasks:
            arms[task.name] = {}
            for n in _budgets(task, s):
                row = arms[task.name][str(n)] = {}
                for source in sources:
                    pretrain = pretrained[source.name]
                    result = self._arm(f'{task.name}_n{n}_{source.name}', task, source,
                                       pretrain, data['downstream'], n, _rule(task, s),
                                       s.max_iters)
                    result['pretrain_s'] = pretrain['seconds'] if pretrain else 0.
                    result['pretrain_iters'] = pretrain['iters'] if pretrain else 0
                    result['total_s'] = round(result['pretrain_s'] + result['finetune_s'], 1)
                    row[source.name] = result
                    self._save(start, arms=arms)
                if s.equal_compute and len(row) > 1:
                    row['scratch_equal_compute'] = self._equal_compute(task, n, row, data)
                    self._save(start, arms=arms)
        self.results = self._totals(start, settings=asdict(s), arms=arms,
                                    pretraining={k: v for k, v in pretrained.items() if v})
        if 'pose3d' in s.tasks:
            self.results['mean_pose'] = self._mean_pose(data['downstream'])
        self.results['labels_saved'] = labels_saved(self.results)
        self.write_report()
        return self.results

    def _equal_compute(self, task: Task, n: int, row: dict, data: dict) -> dict:
        """Scratch given the total compute (pretraining + fine-tuning, seconds) of the most
        expensive source at this N, converted to iterations at scratch's own measured
        seconds per iteration: read off scratch's plateau arm when that trained long
        enough, else a scratch arm without the plateau rule, capped at that budget."""
        scratch = row['scratch']
        richest = max((k for k in row if k != 'scratch'), key=lambda k: row[k]['total_s'])
        budget_s = row[richest]['total_s']
        per_iter = scratch['finetune_s'] / max(scratch['last_iter'], 1)
        budget_it = int(budget_s / per_iter)
        out = dict(budget_s=budget_s, budget_iters=budget_it, matches=richest,
                   seconds_per_iter=round(per_iter, 4))
        if budget_it <= scratch['last_iter']:
            run, out['arm'] = scratch, f'{task.name}_n{n}_scratch'
        else:
            out['arm'] = f'{task.name}_n{n}_scratch_eqc'
            run = self._arm(out['arm'], task, SOURCES[0], None, data['downstream'], n, None,
                            budget_it)
            out.update(work_dir=run['work_dir'], finetune_s=run['finetune_s'])
        curve = run['curve']
        found = best_within([c[0] for c in curve], [c[1] for c in curve], budget_it,
                            task.higher_is_better)
        out['best'], out['best_iter'] = found if found else (None, None)
        if task.name == 'pose3d' and found:
            at = {r.get('iter'): r['metrics'] for r in load_convergence(run['work_dir'])}
            out['p_mpjpe'] = at.get(out['best_iter'], {}).get('P-MPJPE')
        return out

    def _mean_pose(self, data_root: Path) -> Dict[str, dict]:
        from hsjp_mmpose.evaluation.mean_pose import mean_pose_baseline_of_config
        task = next(t for t in TASKS if t.name == 'pose3d')
        return {str(n): mean_pose_baseline_of_config(
            CONFIG_DIR / task.scratch_config,
            coco_data_root_options(data_root) + [f'train_dataloader.dataset.indices={n}'])
            for n in _budgets(task, self.settings)}

    def _save(self, start: float, **results) -> None:
        self.runner.save(extra=self._totals(start, settings=asdict(self.settings), **results))

    def _totals(self, start: float, **results) -> dict:
        return dict(results,
                    total_seconds=round(self._earlier['seconds'] + time.time() - start, 1),
                    invocations=self._earlier['invocations'] + 1)

    def write_report(self) -> str:
        text = format_report(self.results)
        write_report(self.runner, text, extra=self.results,
                     plot=lambda path: plot_results(self.results, path),
                     plot_name='label_efficiency.png')
        return text


def labels_saved(results: dict) -> Dict[str, dict]:
    """Per task and source, at every budget: the labels scratch needs to match the
    source's best score there (:func:`labels_to_match`) and the ratio to the budget."""
    out = {}
    for task in (t for t in TASKS if t.name in results['arms']):
        rows = results['arms'][task.name]
        budgets = sorted(int(n) for n in rows)
        scratch = [rows[str(n)]['scratch']['best'] for n in budgets]
        out[task.name] = {}
        for source in (x for x in rows[str(budgets[0])] if x not in ('scratch',
                                                                     'scratch_equal_compute')):
            out[task.name][source] = {}
            for n in budgets:
                score = rows[str(n)][source]['best']
                match = labels_to_match(budgets, scratch, score, task.higher_is_better)
                out[task.name][source][str(n)] = dict(match, source_score=score,
                                                      ratio=match['labels'] / n)
    return out


# ---------------------------------------------------------------------- the report
def _score(task: Task, value: Optional[float]) -> str:
    if value is None:
        return '-'
    return format_ap(value) if task.higher_is_better else f'{value:.1f}'


def _labels(match: dict) -> str:
    sign = {'exact': '', 'at_most': '<= ', 'more_than': '> '}[match['bound']]
    return f"{sign}{match['labels']:.0f} ({sign}{match['ratio']:.1f}x)"


def format_report(results: dict) -> str:
    """The tables as Markdown."""
    s = results['settings']
    tasks = [t for t in TASKS if t.name in results['arms']]
    sources = [x.name for x in _sources(s)]
    rules = [_rule(t, LabelEfficiencySettings(**{k: (tuple(v) if isinstance(v, list) else v)
                                                 for k, v in s.items()}))
             .describe(t.metric, s['val_every'], s['max_iters']) for t in tasks]
    out = ['# Label efficiency: what pretraining is worth in labels', '',
           ('**Quick mode: a smoke run, not converged results.** ' if s.get('quick') else '')
           + f"Generated people ({s['data_level']} level), {s['num_train']} downstream "
           f"training images, {s['num_val']} validation images, seed {s['seed']}. Each source "
           f"pretrains once ({s['pretrain_epochs']} epochs; self-supervised sources on the "
           f"downstream training crops, labels unused; keypoints-2d on {s['num_source']} other "
           f"labelled images) and fine-tunes every task at every label budget N (the first N "
           f"labelled people), learning rate constant after the warm-up.", '',
           '**Plateau rule** (`hsjp_mmpose.experiments.label_efficiency.plateau`, applied '
           "during training by mmengine's EarlyStoppingHook):", '']
    out += [f'- {r}.' for r in rules]
    out += ['', 'Scores are the best validated score of each arm (iteration reached / iteration '
            'stopped; `cap`: stopped by the cap, not the rule). Compute: pretraining (counted '
            'once per source) + fine-tuning, wall seconds under one process.', '']
    for task in tasks:
        rows = results['arms'][task.name]
        budgets = sorted(int(n) for n in rows)
        label = 'AP' if task.higher_is_better else 'MPJPE (mm)'
        out += [f'## {task.name}: {task.metric_label}', '']
        head = ['source'] + [f'N={n}: {label} (best / stop it.)' for n in budgets] + \
            [f'N={n}: compute s (pretrain + fine-tune)' for n in budgets]
        if task.name == 'pose3d':
            head.insert(1 + len(budgets), 'P-MPJPE (mm) at best')
        table = []
        for source in sources:
            cells = [source]
            for n in budgets:
                r = rows[str(n)][source]
                cells.append(f"{_score(task, r['best'])} ({r['best_iter']} / {r['stop_iter']}"
                             f"{'' if r['stopped'] else ' cap'})")
            if task.name == 'pose3d':
                cells.append(' / '.join(_score(task, rows[str(n)][source].get('p_mpjpe'))
                                        for n in budgets))
            for n in budgets:
                r = rows[str(n)][source]
                cells.append(f"{r['pretrain_s']:.0f} + {r['finetune_s']:.0f}")
            table.append(cells)
        eqc = [rows[str(n)].get('scratch_equal_compute') for n in budgets]
        if any(eqc):
            cells = ['scratch, equal total compute']
            for e in eqc:
                cells.append('-' if not e else f"{_score(task, e['best'])} ({e['best_iter']} / "
                             f"{e['budget_iters']} budget)")
            if task.name == 'pose3d':
                cells.append(' / '.join(_score(task, e.get('p_mpjpe')) if e else '-'
                                        for e in eqc))
            for e in eqc:
                cells.append('-' if not e else f"{e['budget_s']:.0f} (= {e['matches']})")
            table.append(cells)
        if task.name == 'pose3d' and results.get('mean_pose'):
            cells = ['mean training pose']
            for n in budgets:
                m = results['mean_pose'].get(str(n), {})
                cells.append(_score(task, m.get('MPJPE')))
            cells.append(' / '.join(_score(task, results['mean_pose'].get(str(n), {})
                                           .get('P-MPJPE')) for n in budgets))
            cells += ['-'] * len(budgets)
            table.append(cells)
        out += [markdown_table(head, table), '']
        if task.name == 'pose3d' and results.get('mean_pose'):
            for n in budgets:
                m = results['mean_pose'].get(str(n))
                if not m:
                    continue
                ratios = ', '.join(
                    f"{x} {rows[str(n)][x]['best'] / m['MPJPE']:.2f}x / "
                    + (f"{rows[str(n)][x]['p_mpjpe'] / m['P-MPJPE']:.2f}x"
                       if rows[str(n)][x].get('p_mpjpe') else '-')
                    for x in sources)
                out += [f"- N={n}, ratio to the mean pose (MPJPE / P-MPJPE; target 3: best "
                        f"<= 0.6x, scratch <= 0.8x): {ratios}.", '']
        saved = results.get('labels_saved', {}).get(task.name, {})
        if saved and len(budgets) > 1:
            out += [f'Labels saved ({task.name}): the labels scratch needs to match each '
                    "source's score, interpolated on scratch's score-vs-log-N curve:", '']
            head = ['source'] + [f'N={n}: scratch needs' for n in budgets]
            out += [markdown_table(head, [[x] + [_labels(saved[x][str(n)]) for n in budgets]
                                          for x in saved]), '']
    out += recipe_table(results)
    out += targets(results)
    if results.get('total_seconds'):
        runs = results.get('invocations', 1)
        out += ['', f"Whole benchmark: {results['total_seconds'] / 60:.1f} min"
                + (f' (over {runs} invocations; a resumed run reuses finished arms).'
                   if runs > 1 else '.')]
    return '\n'.join(out) + '\n'


def recipe_table(results: dict) -> List[str]:
    """The HSJP recipes side by side (issue 15, section 3): puzzle, pretraining length and
    pretext accuracy against the converged 2D AP they transfer to."""
    s = results['settings']
    if not s.get('hsjp_recipes') or 'pose2d' not in results['arms'] or 'hsjp' not in s['sources']:
        return []
    rows = results['arms']['pose2d']
    budgets = sorted(int(n) for n in rows)
    pre = results.get('pretraining', {})
    default = load_config(CONFIG_DIR / HSJP_SOURCE.config)
    jigsaw = default.train_dataloader.dataset.pipeline[
        pipeline_index(default, 'train_dataloader', 'RandomJigsaw')]
    recipes = [(HSJP_SOURCE.name, tuple(jigsaw['grid']), jigsaw['patch_jitter'],
                s['pretrain_epochs'])]
    recipes += [(x.name, x.puzzle[0], x.puzzle[1], x.epochs or s['pretrain_epochs'])
                for x in _sources(s) if x.puzzle]
    table = []
    for name, grid, jitter, epochs in recipes:
        acc = pre.get(name, {}).get('patch_accuracy')
        table.append([name, f'{grid[0]}x{grid[1]}', str(jitter), str(epochs),
                      '-' if acc is None else f'{acc:.3f} (chance {1 / (grid[0] * grid[1]):.3f})',
                      f"{pre.get(name, {}).get('seconds', 0):.0f}"]
                     + [format_ap(rows[str(n)][name]['best']) for n in budgets]
                     + [f"{100 * (rows[str(n)][name]['best'] - rows[str(n)]['scratch']['best']):+.1f}"
                        for n in budgets])
    head = (['source', 'grid', 'patch jitter (px)', 'pretrain epochs',
             'pretext patch accuracy (val)', 'pretrain s']
            + [f'N={n}: AP' for n in budgets] + [f'N={n}: vs scratch' for n in budgets])
    return ['## HSJP recipes by transfer (pose2d, converged AP)', '',
            markdown_table(head, table), '']


def targets(results: dict) -> List[str]:
    """Issue 15's targets 1-3, answered from this run's numbers (one seed)."""
    lines = ['## Targets (issue 15; this run, one seed)', '']
    arms = results['arms']
    if 'pose2d' in arms:
        for n in ('50', '200'):
            row = arms['pose2d'].get(n)
            if not row or 'hsjp' not in row:
                continue
            gain = 100 * (row['hsjp']['best'] - row['scratch']['best'])
            line = (f"- N={n}: HSJP {format_ap(row['hsjp']['best'])} vs scratch "
                    f"{format_ap(row['scratch']['best'])} ({gain:+.1f} AP; target >= +5: "
                    f"{'met' if gain >= 5 - 1e-9 else 'missed'})")
            if 'keypoints-2d' in row:
                ok = row['keypoints-2d']['best'] >= row['hsjp']['best']
                line += (f"; keypoints-2d {format_ap(row['keypoints-2d']['best'])} "
                         f"(>= HSJP: {'met' if ok else 'missed'})")
            capped = [x for x in ('scratch', 'hsjp', 'keypoints-2d')
                      if x in row and not row[x]['stopped']]
            if capped:  # a target on converged scores cannot be judged on capped arms
                line += (f"; **not converged**: {', '.join(capped)} stopped at the cap, so "
                         'these are scores at the cap, not converged scores')
            lines.append(line + '.')
        hsjp = results.get('labels_saved', {}).get('pose2d', {}).get('hsjp', {}).get('50')
        if hsjp:
            ok = hsjp['bound'] != 'at_most' and hsjp['ratio'] >= 2 - 1e-9
            lines.append(f"- Labels saved at N=50: scratch needs {_labels(hsjp)} to match "
                         f"HSJP (target >= 2x: {'met' if ok else 'missed'}).")
    if 'pose3d' in arms and results.get('mean_pose'):
        for n, row in arms['pose3d'].items():
            m = results['mean_pose'].get(n)
            if not m:
                continue
            pretrained = [x for x in row if x not in ('scratch', 'scratch_equal_compute')]
            best = min((x for x in pretrained + ['scratch']), key=lambda x: row[x]['best'])
            r = row[best]
            ok_best = (r['best'] <= 0.6 * m['MPJPE'] and r.get('p_mpjpe') is not None
                       and r['p_mpjpe'] <= 0.6 * m['P-MPJPE'])
            sc = row['scratch']
            ok_scratch = (sc['best'] <= 0.8 * m['MPJPE'] and sc.get('p_mpjpe') is not None
                          and sc['p_mpjpe'] <= 0.8 * m['P-MPJPE'])
            lines.append(f"- 3D N={n}: mean pose {m['MPJPE']:.1f} / {m['P-MPJPE']:.1f} mm; best "
                         f"({best}) {r['best']:.1f} / {_score(TASKS[1], r.get('p_mpjpe'))} "
                         f"(<= 0.6x: {'met' if ok_best else 'missed'}); scratch "
                         f"{sc['best']:.1f} / {_score(TASKS[1], sc.get('p_mpjpe'))} "
                         f"(<= 0.8x: {'met' if ok_scratch else 'missed'}).")
    return lines


def plot_results(results: dict, path: Path) -> str:
    """Top row: each task's best score against N (log axis) per source, with the
    equal-compute scratch points; below: every arm's validation curve against iterations
    (one panel per task and N), its stop marked."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    arms = results['arms']
    tasks = [t for t in TASKS if t.name in arms]
    panels = [(t, n) for t in tasks for n in sorted(int(k) for k in arms[t.name])]
    cols = max(len(tasks), min(3, len(panels)))
    rows = 1 + math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    sources = [x.name for x in _sources(results['settings'])]
    colours = dict(zip(SOURCE_NAMES, ('tab:gray', 'tab:blue', 'tab:orange', 'tab:green')))
    extra = iter(('tab:purple', 'tab:cyan', 'tab:brown', 'tab:olive', 'tab:pink', 'tab:red'))
    colours.update({x: next(extra, 'tab:red') for x in sources if x not in colours})

    def scale(task, v):
        return None if v is None else (100 * v if task.higher_is_better else v)

    for ax, task in zip(axes[0], tasks):
        ax.set_visible(True)
        budgets = sorted(int(k) for k in arms[task.name])
        for x in sources:
            ax.plot(budgets, [scale(task, arms[task.name][str(n)][x]['best']) for n in budgets],
                    'o-', color=colours[x], label=x)
        eqc = [(n, arms[task.name][str(n)].get('scratch_equal_compute')) for n in budgets]
        eqc = [(n, scale(task, e['best'])) for n, e in eqc if e and e['best'] is not None]
        if eqc:
            ax.plot(*zip(*eqc), 's--', color='black', label='scratch, equal compute')
        ax.set_xscale('log')
        ax.minorticks_off()
        ax.set_xticks(budgets)
        ax.set_xticklabels([str(n) for n in budgets])
        ax.set_xlabel('labelled people N')
        ax.set_ylabel(task.metric_label + (' (%)' if task.higher_is_better else ''))
        ax.set_title(f'{task.name}: best validated score vs labels')
        ax.legend(fontsize=7)
    for ax, (task, n) in zip(axes[1:].flat, panels):
        ax.set_visible(True)
        row = arms[task.name][str(n)]
        for x in sources:
            curve = row[x]['curve']
            ax.plot([c[0] for c in curve], [scale(task, c[1]) for c in curve], '-',
                    color=colours[x], label=x)
            ax.plot([row[x]['stop_iter']],
                    [scale(task, dict(map(tuple, curve))[row[x]['stop_iter']])],
                    'x', color=colours[x])
        e = row.get('scratch_equal_compute')
        if e and e.get('arm', '').endswith('_eqc') and e.get('work_dir'):
            its, vals = metric_curve(load_convergence(e['work_dir']), task.metric, x='iter')
            ax.plot(its, [scale(task, v) for v in vals], ':', color='black',
                    label='scratch, equal compute')
        ax.set_xlabel('fine-tuning iteration')
        ax.set_title(f'{task.name}, N={n}: validation curves (x: stop)')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(str(path), dpi=90)
    plt.close(fig)
    return str(path)
