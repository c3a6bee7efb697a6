# Copyright (c) hsjp-mmpose contributors.
"""The label-efficiency benchmark's report: tables (:func:`format_report`), labels saved
(:func:`labels_saved`), the HSJP recipe table (:func:`recipe_table`), the targets
(:func:`targets`) and the plot (:func:`plot_results`), all read off ``results.json``."""
import math
from pathlib import Path
from typing import Dict, List, Optional

from hsjp_mmpose.experiments.benchmark import Task, footer, tasks_for
from hsjp_mmpose.experiments.convergence import load_convergence, metric_curve
from hsjp_mmpose.experiments.plateau import converged_gain, labels_to_match
from hsjp_mmpose.experiments.report import markdown_table

__all__ = ['labels_saved', 'format_report', 'recipe_table', 'targets', 'plot_results',
           'long_scratch_label']

_NOT_SOURCES = ('scratch_equal_compute', )


def _context(results: dict):
    """(settings, data source, tasks in the results, source names in report order)."""
    from hsjp_mmpose.experiments.label_efficiency import (LabelEfficiencyBenchmark,
                                                          benchmark_sources,
                                                          settings_from_results)
    s = settings_from_results(results)
    source = LabelEfficiencyBenchmark.data_source(s)
    tasks = [t for t in tasks_for(source) if t.name in results['arms']]
    return s, source, tasks, [x.name for x in benchmark_sources(s, source)]


def _scratch_scores(row: dict, against: str, higher_is_better: bool) -> float:
    """Scratch's score at one budget: its plateau arm's (``'rule'``), or the best of its
    plateau arm and its long arm (``'best'``)."""
    score = row['scratch']['best']
    long = row.get('scratch_equal_compute')
    if against == 'best' and long and long.get('best') is not None:
        better = max if higher_is_better else min
        score = better(score, long['best'])
    return score


def labels_saved(results: dict) -> Dict[str, dict]:
    """Per task and source, at every budget the source ran: the labels scratch needs to
    match the source's best score there (:func:`~.plateau.labels_to_match` on scratch's
    score per budget, ``labels_saved_against``) and the ratio to the budget."""
    _, _, tasks, _ = _context(results)
    against = results['settings'].get('labels_saved_against', 'rule')
    out = {}
    for task in tasks:
        rows = results['arms'][task.name]
        budgets = sorted(int(n) for n in rows)
        scratch = [_scratch_scores(rows[str(n)], against, task.higher_is_better)
                   for n in budgets]
        out[task.name] = {}
        names = dict.fromkeys(x for n in budgets for x in rows[str(n)]
                              if x not in ('scratch', ) + _NOT_SOURCES)
        for source in names:
            out[task.name][source] = {}
            for n in budgets:
                if source not in rows[str(n)]:
                    continue
                score = rows[str(n)][source]['best']
                match = labels_to_match(budgets, scratch, score, task.higher_is_better)
                out[task.name][source][str(n)] = dict(match, source_score=score,
                                                      ratio=match['labels'] / n)
    return out


def _labels(match: dict) -> str:
    sign = {'exact': '', 'at_most': '<= ', 'more_than': '> '}[match['bound']]
    return f"{sign}{match['labels']:.0f} ({sign}{match['ratio']:.1f}x)"


def long_scratch_label(entry: Optional[dict]) -> str:
    """How the report names the long scratch arm."""
    factor = (entry or {}).get('factor', 1.)
    if factor == 1:
        return 'scratch, equal total compute'
    return f"scratch, {factor:g}x {(entry or {}).get('matches', '')}'s total compute"


def _describe(s, source) -> str:
    if source.name == 'generated':
        return (f"Generated people ({s.data_level} level), {s.num_train} downstream training "
                f"images, {s.num_val} validation images, seed {s.seed}")
    return f'{source.describe()}; seed {s.seed}'


def _row_cells(task: Task, r: Optional[dict]) -> str:
    if not r:
        return '-'
    return (f"{task.format(r['best'])} ({r['best_iter']} / {r['stop_iter']}"
            f"{'' if r['stopped'] else ' cap'})")


def format_report(results: dict) -> str:
    """The tables as Markdown."""
    from hsjp_mmpose.experiments.label_efficiency import rule_of
    s, source, tasks, sources = _context(results)
    rules = [rule_of(t, s).describe(t.metric.key, s.val_every, s.max_iters) for t in tasks]
    rule_hook = "mmengine's EarlyStoppingHook" if s.window == 1 else 'PlateauStoppingHook'
    out = ['# Label efficiency: what pretraining is worth in labels', '',
           ('**Quick mode: a smoke run, not converged results.** ' if s.quick else '')
           + f"{_describe(s, source)}. Each source pretrains once ({s.pretrain_epochs} "
           "epochs; self-supervised sources on the downstream training crops, labels unused; "
           f"the generated sources on {s.num_source} generated images) and fine-tunes every "
           'task at every label budget N (the first N labelled people), learning rate '
           'constant after the warm-up.', '',
           f'**Plateau rule** (`hsjp_mmpose.engine.plateau.plateau`, applied during training '
           f'by {rule_hook}):', '']
    out += [f'- {r}.' for r in rules]
    out += ['', 'Scores are the best validated score of each arm (iteration reached / iteration '
            'stopped; `cap`: stopped by the cap, not the rule). Compute: pretraining (counted '
            'once per source) + fine-tuning, wall seconds under one process.', '']
    for task in tasks:
        rows = results['arms'][task.name]
        budgets = sorted(int(n) for n in rows)
        label = task.metric.axis_label
        out += [f'## {task.name}: {label}', '']
        head = ['source'] + [f'N={n}: {label} (best / stop it.)' for n in budgets] + \
            [f'N={n}: compute s (pretrain + fine-tune)' for n in budgets]
        if task.name == 'pose3d':
            head.insert(1 + len(budgets), 'P-MPJPE (mm) at best')
        table = []
        for x in sources:
            cells = [x] + [_row_cells(task, rows[str(n)].get(x)) for n in budgets]
            if task.name == 'pose3d':
                cells.append(' / '.join(task.format(rows[str(n)][x].get('p_mpjpe'))
                                        for n in budgets))
            cells += ['-' if x not in rows[str(n)] else
                      f"{rows[str(n)][x]['pretrain_s']:.0f} + {rows[str(n)][x]['finetune_s']:.0f}"
                      for n in budgets]
            table.append(cells)
        eqc = [rows[str(n)].get('scratch_equal_compute') for n in budgets]
        if any(eqc):
            cells = [long_scratch_label(next(e for e in eqc if e))]
            for e in eqc:
                cells.append('-' if not e else f"{task.format(e['best'])} ({e['best_iter']} / "
                             f"{e['budget_iters']} budget)")
            if task.name == 'pose3d':
                cells.append(' / '.join(task.format(e.get('p_mpjpe')) if e else '-'
                                        for e in eqc))
            for e in eqc:
                cells.append('-' if not e else f"{e['budget_s']:.0f} (= {e.get('factor', 1):g}x "
                             f"{e['matches']})")
            table.append(cells)
        if task.name == 'pose3d' and results.get('mean_pose'):
            cells = ['mean training pose']
            for n in budgets:
                m = results['mean_pose'].get(str(n), {})
                cells.append(task.format(m.get('MPJPE')))
            cells.append(' / '.join(task.format(results['mean_pose'].get(str(n), {})
                                                .get('P-MPJPE')) for n in budgets))
            cells += ['-'] * len(budgets)
            table.append(cells)
        out += [markdown_table(head, table), '']
        out += _test_table(task, rows, budgets, sources, results)
        if task.name == 'pose3d' and results.get('mean_pose'):
            for n in budgets:
                m = results['mean_pose'].get(str(n))
                if not m:
                    continue
                ratios = ', '.join(
                    f"{x} {rows[str(n)][x]['best'] / m['MPJPE']:.2f}x / "
                    + (f"{rows[str(n)][x]['p_mpjpe'] / m['P-MPJPE']:.2f}x"
                       if rows[str(n)][x].get('p_mpjpe') else '-')
                    for x in sources if x in rows[str(n)])
                out += [f"- N={n}, ratio to the mean pose (MPJPE / P-MPJPE; target 3: best "
                        f"<= 0.6x, scratch <= 0.8x): {ratios}.", '']
        saved = results.get('labels_saved', {}).get(task.name, {})
        if saved and len(budgets) > 1:
            against = ("scratch's plateau arm" if s.labels_saved_against == 'rule'
                       else 'the better of scratch\'s plateau arm and its long arm')
            out += [f'Labels saved ({task.name}): the labels scratch needs to match each '
                    f"source's score, interpolated on scratch's score-vs-log-N curve ({against} "
                    'at each N):', '']
            head = ['source'] + [f'N={n}: scratch needs' for n in budgets]
            out += [markdown_table(head, [[x] + [_labels(saved[x][str(n)]) if str(n) in saved[x]
                                                 else '-' for n in budgets]
                                          for x in saved]), '']
    out += recipe_table(results)
    out += targets(results)
    out += footer(results)
    return '\n'.join(out) + '\n'


def _test_table(task: Task, rows: dict, budgets: List[int], sources: List[str],
                results: dict) -> List[str]:
    """Each arm's test-split score (its best checkpoint) beside its best val score."""
    if not any(rows[str(n)].get(x, {}).get('test') for n in budgets for x in sources):
        return []
    key = task.metric.key
    head = ['source'] + [f'N={n}: val / test' for n in budgets]
    table = []
    for x in sources + ['scratch_equal_compute']:
        cells = [long_scratch_label(rows[str(budgets[0])].get(x)) if x == _NOT_SOURCES[0]
                 else x]
        for n in budgets:
            r = rows[str(n)].get(x)
            test = (r or {}).get('test', {}).get(key)
            cells.append('-' if not r else f"{task.format(r['best'])} / {task.format(test)}")
        table.append(cells)
    mean = results.get('mean_pose_2d') if task.name == 'pose2d' else None
    if mean:
        table.append(['mean training pose'] + [
            f"- / {task.format(mean.get(str(n), {}).get(key))}" for n in budgets])
    return [f'Test split ({task.metric.axis_label} of each arm\'s best checkpoint, `mim test`; '
            'val: its best validated score):', '', markdown_table(head, table), '']


def recipe_table(results: dict) -> List[str]:
    """The HSJP recipes side by side: puzzle, pretraining length and pretext accuracy
    against the converged 2D score they transfer to."""
    from hsjp_mmpose.experiments.label_efficiency import benchmark_sources
    from hsjp_mmpose.experiments.pretraining import puzzle_of
    s, source, tasks, _ = _context(results)
    if not s.hsjp_recipes or 'pose2d' not in results['arms'] or 'hsjp' not in s.sources:
        return []
    task = next(t for t in tasks if t.name == 'pose2d')
    rows = results['arms']['pose2d']
    budgets = sorted(int(n) for n in rows)
    pre = results.get('pretraining', {})
    grid, jitter = puzzle_of(source)
    recipes = [('hsjp', grid, jitter, s.pretrain_epochs, None)]
    recipes += [(x.name, x.puzzle[0], x.puzzle[1], x.epochs or s.pretrain_epochs, x.color_jitter)
                for x in benchmark_sources(s, source) if x.puzzle]
    table = []
    for name, grid, jitter, epochs, colour in recipes:
        acc = pre.get(name, {}).get('patch_accuracy')
        table.append([name, f'{grid[0]}x{grid[1]}', str(jitter), str(epochs),
                      'config' if colour is None else f'{colour:g}',
                      '-' if acc is None else f'{acc:.3f} (chance {1 / (grid[0] * grid[1]):.3f})',
                      f"{pre.get(name, {}).get('seconds', 0):.0f}"]
                     + [task.format(rows[str(n)][name]['best']) for n in budgets]
                     + [task.metric.format_gain(rows[str(n)][name]['best']
                                                - rows[str(n)]['scratch']['best'])
                        for n in budgets])
    head = (['source', 'grid', 'patch jitter (px)', 'pretrain epochs', 'colour jitter',
             'pretext patch accuracy (val)', 'pretrain s']
            + [f'N={n}: {task.metric.label}' for n in budgets]
            + [f'N={n}: vs scratch' for n in budgets])
    return [f'## HSJP recipes by transfer (pose2d, converged {task.metric.label})', '',
            markdown_table(head, table), '']


def targets(results: dict) -> List[str]:
    """The targets of the data set's issue (generated people: issue 15; LSP Extended:
    issue 23), answered from this run's numbers (one seed)."""
    s, source, tasks, _ = _context(results)
    if source.name == 'generated':
        return _generated_targets(results, tasks)
    return _real_targets(results, tasks, s)


def _real_targets(results: dict, tasks: List[Task], s) -> List[str]:
    lines = ['## Targets (issue 23; this run, one seed)', '']
    arms = results['arms']
    task = next((t for t in tasks if t.name == 'pose2d'), None)
    if task is None:
        return []
    for n in ('50', '200'):
        row = arms['pose2d'].get(n)
        if not row or 'hsjp' not in row:
            continue
        long = row.get('scratch_equal_compute')
        verdict = converged_gain(row['hsjp'], row['scratch'], long, 0.05, task.higher_is_better)
        line = (f"- N={n}: HSJP {task.format(row['hsjp']['best'])} vs scratch "
                f"{task.format(row['scratch']['best'])} ({task.metric.format_gain(verdict['gain'])}"
                f"; target >= +0.050: {'met' if verdict['gain'] >= 0.05 - 1e-9 else 'missed'})"
                f"; both stopped by the rule: {'yes' if verdict['converged'] else 'no'}")
        if long:
            line += (f"; {long_scratch_label(long)} reaches {task.format(long['best'])} "
                     f"({'below' if verdict['long_below'] else 'not below'} HSJP)")
        line += f"; converged gain: {'met' if verdict['holds'] else 'missed'}"
        for other, what in (('jigsaw-cls', 'HSJP >= jigsaw-cls'),):
            if other in row:
                ok = row['hsjp']['best'] >= row[other]['best']
                line += (f"; {other} {task.format(row[other]['best'])} ({what}: "
                         f"{'met' if ok else 'missed'})")
        if n == '50' and 'keypoints-2d-generated' in row:
            ok = row['keypoints-2d-generated']['best'] >= row['scratch']['best']
            score = task.format(row['keypoints-2d-generated']['best'])
            line += (f"; keypoints-2d-generated {score} (>= scratch: "
                     f"{'met' if ok else 'missed'})")
        lines.append(line + '.')
    for n in ('50', '200'):
        hsjp = results.get('labels_saved', {}).get('pose2d', {}).get('hsjp', {}).get(n)
        if hsjp:
            ok = hsjp['bound'] != 'at_most' and hsjp['ratio'] >= 2 - 1e-9
            lines.append(f"- Labels saved at N={n}: scratch needs {_labels(hsjp)} to match "
                         f"HSJP (target >= 2x: {'met' if ok else 'missed'}).")
    return lines


def _generated_targets(results: dict, tasks: List[Task]) -> List[str]:
    lines = ['## Targets (issue 15; this run, one seed)', '']
    arms = results['arms']
    if 'pose2d' in arms:
        task = next(t for t in tasks if t.name == 'pose2d')
        for n in ('50', '200'):
            row = arms['pose2d'].get(n)
            if not row or 'hsjp' not in row:
                continue
            gain = 100 * (row['hsjp']['best'] - row['scratch']['best'])
            line = (f"- N={n}: HSJP {task.format(row['hsjp']['best'])} vs scratch "
                    f"{task.format(row['scratch']['best'])} ({gain:+.1f} AP; target >= +5: "
                    f"{'met' if gain >= 5 - 1e-9 else 'missed'})")
            if 'keypoints-2d' in row:
                ok = row['keypoints-2d']['best'] >= row['hsjp']['best']
                line += (f"; keypoints-2d {task.format(row['keypoints-2d']['best'])} "
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
        task = next(t for t in tasks if t.name == 'pose3d')
        for n, row in arms['pose3d'].items():
            m = results['mean_pose'].get(n)
            if not m:
                continue
            pretrained = [x for x in row if x not in ('scratch', ) + _NOT_SOURCES]
            best = min((x for x in pretrained + ['scratch']), key=lambda x: row[x]['best'])
            r = row[best]
            ok_best = (r['best'] <= 0.6 * m['MPJPE'] and r.get('p_mpjpe') is not None
                       and r['p_mpjpe'] <= 0.6 * m['P-MPJPE'])
            sc = row['scratch']
            ok_scratch = (sc['best'] <= 0.8 * m['MPJPE'] and sc.get('p_mpjpe') is not None
                          and sc['p_mpjpe'] <= 0.8 * m['P-MPJPE'])
            lines.append(f"- 3D N={n}: mean pose {m['MPJPE']:.1f} / {m['P-MPJPE']:.1f} mm; best "
                         f"({best}) {r['best']:.1f} / {task.format(r.get('p_mpjpe'))} "
                         f"(<= 0.6x: {'met' if ok_best else 'missed'}); scratch "
                         f"{sc['best']:.1f} / {task.format(sc.get('p_mpjpe'))} "
                         f"(<= 0.8x: {'met' if ok_scratch else 'missed'}).")
    return lines


def plot_results(results: dict, path: Path) -> str:
    """Top row: each task's best score against N (log axis) per source, with the long
    scratch points; below: every arm's validation curve against iterations (one panel per
    task and N), its stop marked."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from hsjp_mmpose.experiments.pretraining import SOURCE_NAMES
    _, _, tasks, sources = _context(results)
    arms = results['arms']
    panels = [(t, n) for t in tasks for n in sorted(int(k) for k in arms[t.name])]
    cols = max(len(tasks), min(3, len(panels)))
    rows = 1 + math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    colours = dict(zip(SOURCE_NAMES, ('tab:gray', 'tab:blue', 'tab:orange', 'tab:green',
                                      'tab:purple', 'tab:olive')))
    extra = iter(('tab:cyan', 'tab:brown', 'tab:pink', 'tab:red', 'gold', 'navy'))
    colours.update({x: next(extra, 'tab:red') for x in sources if x not in colours})

    def scale(task, v):
        return None if v is None else task.metric.scale * v

    for ax, task in zip(axes[0], tasks):
        ax.set_visible(True)
        budgets = sorted(int(k) for k in arms[task.name])
        for x in sources:
            points = [(n, scale(task, arms[task.name][str(n)][x]['best'])) for n in budgets
                      if x in arms[task.name][str(n)]]
            if points:
                ax.plot(*zip(*points), 'o-', color=colours[x], label=x)
        eqc = [(n, arms[task.name][str(n)].get('scratch_equal_compute')) for n in budgets]
        label = long_scratch_label(next((e for _, e in eqc if e), None))
        eqc = [(n, scale(task, e['best'])) for n, e in eqc if e and e['best'] is not None]
        if eqc:
            ax.plot(*zip(*eqc), 's--', color='black', label=label)
        ax.set_xscale('log')
        ax.minorticks_off()
        ax.set_xticks(budgets)
        ax.set_xticklabels([str(n) for n in budgets])
        ax.set_xlabel('labelled people N')
        ax.set_ylabel(task.metric.axis_label)
        ax.set_title(f'{task.name}: best validated score vs labels')
        ax.legend(fontsize=7)
    for ax, (task, n) in zip(axes[1:].flat, panels):
        ax.set_visible(True)
        row = arms[task.name][str(n)]
        for x in (x for x in sources if x in row):
            curve = row[x]['curve']
            ax.plot([c[0] for c in curve], [scale(task, c[1]) for c in curve], '-',
                    color=colours[x], label=x)
            ax.plot([row[x]['stop_iter']],
                    [scale(task, dict(map(tuple, curve))[row[x]['stop_iter']])],
                    'x', color=colours[x])
        e = row.get('scratch_equal_compute')
        if e and e.get('arm', '').endswith('_eqc') and e.get('work_dir'):
            its, vals = metric_curve(load_convergence(e['work_dir']), task.metric.key, x='iter')
            ax.plot(its, [scale(task, v) for v in vals], ':', color='black',
                    label=long_scratch_label(e))
        ax.set_xlabel('fine-tuning iteration')
        ax.set_title(f'{task.name}, N={n}: validation curves (x: stop)')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(str(path), dpi=90)
    plt.close(fig)
    return str(path)
