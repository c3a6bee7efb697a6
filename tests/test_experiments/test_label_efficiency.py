# Copyright (c) hsjp-mmpose contributors.
"""The label-efficiency benchmark: the plateau rule and the labels-saved interpolation on
hand-made curves, the overrides, the report; a tiny end-to-end run (integration)."""
import json
import math

import numpy as np
import pytest

from hsjp_mmpose.experiments.label_efficiency import (LabelEfficiencySettings, PlateauRule,
                                                      best_within, check_settings,
                                                      format_report, labels_saved,
                                                      labels_to_match, plateau,
                                                      plateau_options, plot_results)
from tests.utils import REPO_ROOT

SCRATCH_2D = REPO_ROOT / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'


# ------------------------------------------------------------------ the plateau rule
def test_plateau_stops_after_patience_validations_without_improvement():
    """AP (%-like numbers): the reference is the last improving score; 41 and 41.5 do not
    beat 40 by 2, 43 does (it becomes the reference), then 44, 43, 44.5 do not beat 43 + 2:
    three in a row stop at iteration 80, whose best is 44.5 at 80."""
    iters = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    values = [30, 40, 41, 41.5, 43, 44, 43, 44.5, 50]
    out = plateau(iters, values, PlateauRule(patience=3, min_delta=2))
    assert out == dict(stopped=True, stop_iter=80, num_vals=8, best=44.5, best_iter=80,
                      best_smoothed=44.5)
    # patience 4: the 50 at 90 is an improvement and the curve runs to its end (the cap)
    out = plateau(iters, values, PlateauRule(patience=4, min_delta=2))
    assert out == dict(stopped=False, stop_iter=90, num_vals=9, best=50, best_iter=90,
                      best_smoothed=50)


def test_plateau_lower_is_better_and_ties():
    """MPJPE (mm): 200, 190 (improves by 10), 189.5 (not by 1), 189 (exactly 1: improves),
    then 188.5, 188.2: two without improvement stop at 60; the best is the lowest."""
    out = plateau([10, 20, 30, 40, 50, 60, 70], [200, 190, 189.5, 189, 188.5, 188.2, 100],
                  PlateauRule(patience=2, min_delta=1, higher_is_better=False))
    assert out == dict(stopped=True, stop_iter=60, num_vals=6, best=188.2, best_iter=60,
                      best_smoothed=188.2)
    # the first of equal best values is the one reported
    out = plateau([1, 2, 3, 4], [5, 7, 7, 6], PlateauRule(patience=2, min_delta=1))
    assert out['best'] == 7 and out['best_iter'] == 2 and out['stop_iter'] == 4


def test_plateau_stops_at_a_non_finite_value():
    out = plateau([1, 2, 3], [0.1, float('nan'), 0.3], PlateauRule(patience=5, min_delta=0))
    assert out == dict(stopped=True, stop_iter=2, num_vals=2, best=0.1, best_iter=1,
                      best_smoothed=0.1)


def test_plateau_rejects_bad_curves_and_rules():
    with pytest.raises(ValueError, match='as many'):
        plateau([1, 2], [0.1], PlateauRule(1, 0.))
    with pytest.raises(ValueError, match='as many'):
        plateau([], [], PlateauRule(1, 0.))
    with pytest.raises(ValueError, match='patience'):
        PlateauRule(0, 0.1)
    with pytest.raises(ValueError, match='min_delta'):
        PlateauRule(2, -1.)


@pytest.mark.parametrize('higher_is_better', [True, False])
def test_plateau_agrees_with_mmengine_early_stopping_hook(higher_is_better):
    """The rule the benchmark trains with (mmengine's EarlyStoppingHook, configured by
    plateau_options) stops at the same validation as plateau() on 300 random curves."""
    from mmengine.hooks import EarlyStoppingHook
    rng = np.random.default_rng(0)
    for trial in range(300):
        length = int(rng.integers(1, 25))
        steps = rng.choice([-1., 0., 0.5, 1., 2.], size=length) * rng.random(length)
        values = np.round(np.cumsum(steps) * (1 if higher_is_better else -1) + 100, 1)
        patience, min_delta = int(rng.integers(1, 5)), float(rng.choice([0., 0.5, 1.]))
        hook = EarlyStoppingHook(monitor='m', rule='greater' if higher_is_better else 'less',
                                 min_delta=min_delta, patience=patience)
        hook_stop = None
        for i, value in enumerate(values):
            stop, _ = hook._check_stop_condition(float(value))
            if stop:
                hook_stop = i
                break
        out = plateau(list(range(length)), list(values),
                      PlateauRule(patience, min_delta, higher_is_better))
        assert out['stopped'] == (hook_stop is not None), (trial, values)
        if hook_stop is not None:
            assert out['stop_iter'] == hook_stop, (trial, values)


def test_best_within_a_budget():
    iters, values = [10, 20, 30, 40], [0.2, 0.5, 0.4, 0.6]
    assert best_within(iters, values, 35) == (0.5, 20)
    assert best_within(iters, values, 40) == (0.6, 40)
    assert best_within(iters, values, 5) is None
    assert best_within(iters, [200., 150., 160., 100.], 30, higher_is_better=False) == (150., 20)


# ------------------------------------------------------------------ labels saved
def test_labels_to_match_interpolates_in_log_n():
    budgets, scratch = [50, 200, 800], [0.20, 0.40, 0.50]
    # halfway between 0.2 and 0.4: halfway in log N between 50 and 200 = 100
    match = labels_to_match(budgets, scratch, 0.30)
    assert match['bound'] == 'exact' and match['labels'] == pytest.approx(100.)
    # 3/4 of the way from 200 to 800 in log N: 200 * 4 ** 0.75
    assert labels_to_match(budgets, scratch, 0.475)['labels'] == pytest.approx(
        200 * 4 ** 0.75)
    assert labels_to_match(budgets, scratch, 0.40) == dict(labels=pytest.approx(200.),
                                                           bound='exact')
    assert labels_to_match(budgets, scratch, 0.1) == dict(labels=50., bound='at_most')
    assert labels_to_match(budgets, scratch, 0.6) == dict(labels=800., bound='more_than')
    # order of the budgets does not matter; a dip is passed by the first crossing
    assert labels_to_match([800, 50, 200], [0.5, 0.2, 0.4], 0.3)['labels'] == \
        pytest.approx(100.)
    assert labels_to_match([50, 200, 800], [0.2, 0.45, 0.4], 0.42)['labels'] == pytest.approx(
        math.exp(math.log(50) + 0.88 * math.log(4)))
    # lower is better (MPJPE): scratch 200 mm at 50, 150 at 200; 175 mm needs 100 labels
    assert labels_to_match([50, 200], [200., 150.], 175., higher_is_better=False)['labels'] \
        == pytest.approx(100.)
    with pytest.raises(ValueError, match='budgets'):
        labels_to_match([50], [0.1, 0.2], 0.1)


def _row(best, stop=100, total=10.):
    return dict(best=best, best_iter=stop, stop_iter=stop, stopped=True, finetune_s=total,
                pretrain_s=0., total_s=total, last_iter=stop, curve=[[stop, best]])


def _results():
    arms = {'pose2d': {'50': dict(scratch=_row(0.20), hsjp=_row(0.30, total=50.)),
                       '200': dict(scratch=_row(0.40), hsjp=_row(0.42, total=60.)),
                       '800': dict(scratch=_row(0.50), hsjp=_row(0.55, total=70.))}}
    arms['pose2d']['50']['scratch_equal_compute'] = dict(
        budget_s=50., budget_iters=500, matches='hsjp', best=0.25, best_iter=400, arm='x')
    settings = dict(vars(LabelEfficiencySettings()), sources=('scratch', 'hsjp'),
                    tasks=('pose2d',))
    results = dict(settings=settings, arms=arms, total_seconds=120.)
    results['labels_saved'] = labels_saved(results)
    return results


def test_labels_saved_and_the_report():
    results = _results()
    saved = results['labels_saved']['pose2d']['hsjp']
    assert saved['50']['labels'] == pytest.approx(100.) and saved['50']['ratio'] == \
        pytest.approx(2.)
    assert saved['800']['bound'] == 'more_than'
    text = format_report(results)
    assert 'stop after 4 validations in a row without improvement' in text
    assert '| hsjp | 30.0 (100 / 100) |' in text
    assert 'scratch, equal total compute | 25.0 (400 / 500 budget)' in text
    assert '| hsjp | 100 (2.0x) |' in text and '> 800 (> 1.0x)' in text
    assert '- N=50: HSJP 30.0 vs scratch 20.0 (+10.0 AP; target >= +5: met).' in text
    results['arms']['pose2d']['200']['hsjp']['stopped'] = False  # stopped by the cap
    assert '+2.0 AP; target >= +5: missed); **not converged**: hsjp stopped at the cap' \
        in format_report(results)
    assert 'Labels saved at N=50: scratch needs 100 (2.0x) to match HSJP (target >= 2x: met)' \
        in text


def test_hsjp_recipes_in_the_report_and_the_plot(tmp_path):
    results = _results()
    results['settings']['hsjp_recipes'] = ('4x3:4', '2x2:0:24')
    for n, ap in (('50', 0.33), ('200', 0.41), ('800', 0.56)):
        results['arms']['pose2d'][n]['hsjp-4x3-j4'] = _row(ap, total=80.)
        results['arms']['pose2d'][n]['hsjp-2x2-j0-e24'] = _row(ap - 0.1, total=90.)
    results['pretraining'] = {'hsjp': dict(seconds=40., patch_accuracy=0.96),
                              'hsjp-4x3-j4': dict(seconds=60., patch_accuracy=0.41),
                              'hsjp-2x2-j0-e24': dict(seconds=80., patch_accuracy=0.99)}
    results['labels_saved'] = labels_saved(results)
    text = format_report(results)
    assert '## HSJP recipes by transfer (pose2d, converged COCO AP)' in text
    assert '| hsjp | 2x2 | 4 | 12 | config | 0.960 (chance 0.250) | 40 | 30.0 | 42.0 | 55.0 | ' \
        '+10.0 | +2.0 | +5.0 |' in text
    assert '| hsjp-4x3-j4 | 4x3 | 4 | 12 | config | 0.410 (chance 0.083) | 60 | 33.0 | 41.0 | ' \
        '56.0 | +13.0 | +1.0 | +6.0 |' in text
    assert '| hsjp-2x2-j0-e24 | 2x2 | 0 | 24 |' in text
    # scratch reaches 0.33 at 50 * 4 ** ((0.33 - 0.2) / 0.2) labels, 2.46x
    assert '| hsjp-4x3-j4 | 123 (2.5x) |' in text
    out = tmp_path / 'le.png'
    plot_results(results, out)
    assert out.is_file()


def test_hsjp_recipe_sources_and_their_pretraining_overrides(tmp_path):
    from hsjp_mmpose.experiments.data_sources import DataFiles, GeneratedPeople, PreparedData
    from hsjp_mmpose.experiments.pretraining import hsjp_recipe, pretrain_arm
    source = hsjp_recipe('4x3:4:24')
    assert source.name == 'hsjp-4x3-j4-e24' and source.puzzle == ((4, 3), 4)
    val = DataFiles(tmp_path, 'annotations/person_keypoints_val.json', 'images/val/')
    data = dict(downstream=PreparedData(
        DataFiles(tmp_path, 'annotations/person_keypoints_train.json', 'images/train/'), val,
        val))
    arm = pretrain_arm(source, GeneratedPeople(), data, epochs=12, seed=0)
    assert 'train_cfg.max_epochs=24' in arm.options and 'model.head.out_channels=12' in arm.options
    assert any(o.endswith('.patch_jitter=4') for o in arm.options)
    assert 'train_dataloader.dataset.jigsaw_grid=(4,3)' in arm.options
    assert 'train_cfg.max_epochs=12' in pretrain_arm(hsjp_recipe('2x2:0'), GeneratedPeople(),
                                                     data, 12, 0).options
    colour = pretrain_arm(hsjp_recipe('2x2:4::0'), GeneratedPeople(), data, 12, 0)
    assert colour.name == 'pretrain_hsjp-2x2-j4-c0'
    assert any(o.endswith('.color_jitter=0.0') for o in colour.options)
    for bad, match in (('3x3:4', 'rows can be'), ('4x3', "'RxC:J'"), ('4x3:4:0', "'RxC:J'"),
                       ('axb:1', "'RxC:J'"), ('2x2:4::-1', "'RxC:J'")):
        with pytest.raises(ValueError, match=match):
            hsjp_recipe(bad)
    with pytest.raises(ValueError, match='same puzzle twice'):
        check_settings(LabelEfficiencySettings(hsjp_recipes=('4x3:4', '4x3:4')))


def test_plot(tmp_path):
    out = tmp_path / 'le.png'
    plot_results(_results(), out)
    assert out.is_file() and out.stat().st_size > 5000


# ------------------------------------------------------------------ overrides, settings
def test_plateau_options_whole_epochs_constant_lr_and_early_stopping():
    rule = PlateauRule(patience=3, min_delta=0.005)
    # N = 50, batch 32: 2 iterations an epoch; ~60 iterations = 30 epochs; cap 1000 -> 17
    # validations = 510 epochs
    options = plateau_options(SCRATCH_2D, 50, rule, 'coco/AP', val_every=60, max_iters=1000)
    assert 'train_cfg.val_interval=30' in options and 'train_cfg.max_epochs=510' in options
    assert 'param_scheduler.1.eta_min=0.001' in options
    assert 'param_scheduler.1.T_max=510' in options
    assert 'train_dataloader.dataset.indices=50' in options
    assert 'default_hooks.checkpoint.interval=30' in options
    assert 'default_hooks.early_stopping.monitor=coco/AP' in options
    assert 'default_hooks.early_stopping.patience=3' in options
    assert 'default_hooks.early_stopping.rule=greater' in options
    # N = 800: 25 an epoch, validation every 2 epochs; no rule: no early stopping
    options = plateau_options(SCRATCH_2D, 800, None, 'coco/AP', val_every=60, max_iters=1000)
    assert 'train_cfg.val_interval=2' in options and 'train_cfg.max_epochs=40' in options
    assert not any('early_stopping' in o for o in options)


def test_settings_are_checked():
    check_settings(LabelEfficiencySettings())
    for bad, match in ((dict(budgets=(50, 50)), 'budgets'), (dict(sources=('hsjp',)), 'scratch'),
                       (dict(patience=0), 'patience'), (dict(tasks=('pose4d',)), 'tasks'),
                       (dict(budgets=(50, 10000), num_train=100), 'budget of 10000')):
        with pytest.raises(ValueError, match=match):
            check_settings(LabelEfficiencySettings(**bad))


def test_cli_quick_and_budgets():
    from tools.benchmark_label_efficiency import parse_args, settings_from_args
    s = settings_from_args(parse_args(['--quick', '--budgets', '20', '40', '--seed', '3']))
    assert s.quick and s.budgets == (20, 40) and s.max_iters == 100 and s.seed == 3
    s = settings_from_args(parse_args([]))
    assert s.budgets == (50, 200, 800) and not s.quick and s.hsjp_recipes == ()
    s = settings_from_args(parse_args(['--hsjp-recipes', '4x3:4', '2x2:0']))
    assert s.hsjp_recipes == ('4x3:4', '2x2:0')


# ------------------------------------------------------------------ end to end
@pytest.mark.integration
def test_tiny_benchmark_end_to_end_and_resume(tmp_path):
    """Two sources, two 2D budgets and one 3D budget on a few images, through mim train:
    each arm stops where plateau() says (or at the cap), the report is written, and a
    second run reuses every arm."""
    from hsjp_mmpose.experiments.label_efficiency import LabelEfficiencyBenchmark
    settings = LabelEfficiencySettings(
        sources=('scratch', 'keypoints-2d'), budgets=(4, 8), budgets_3d=(8,), num_train=12,
        num_val=3, num_source=6, pretrain_epochs=1, val_every=1, patience=1,
        min_delta_ap=0.5, min_delta_mm=1000., max_iters=3)
    lines = []
    results = LabelEfficiencyBenchmark(tmp_path, settings, log=lines.append).run()
    for task, budgets in (('pose2d', ('4', '8')), ('pose3d', ('8',))):
        for n in budgets:
            row = results['arms'][task][n]
            for source in ('scratch', 'keypoints-2d'):
                r = row[source]
                records = json.loads((tmp_path / 'runs' / f'{task}_n{n}_{source}' /
                                      'convergence.json').read_text())
                # the training stopped where the rule says: patience 1 with an unreachable
                # min_delta stops at the second validation
                assert r['stopped'] and r['num_vals'] == 2, r
                assert records[-1]['iter'] == r['stop_iter'] == r['last_iter']
            assert row['keypoints-2d']['pretrain_s'] > 0
            assert 'scratch_equal_compute' in row
    assert results['mean_pose']['8']['MPJPE'] > 0
    assert 'hsjp' not in results['labels_saved']['pose2d']
    for name in ('results.md', 'results.json', 'label_efficiency.png'):
        assert (tmp_path / name).is_file()
    assert 'Plateau rule' in (tmp_path / 'results.md').read_text()
    before = sorted(p.name for p in (tmp_path / 'logs').iterdir())
    lines.clear()
    again = LabelEfficiencyBenchmark(tmp_path, settings, log=lines.append).run()
    assert again['arms']['pose2d']['8']['scratch']['best'] == \
        results['arms']['pose2d']['8']['scratch']['best']
    assert any('reusing its results' in line for line in lines)
    assert not any(': done in' in line and 'train_' in line for line in lines)
    assert sorted(p.name for p in (tmp_path / 'logs').iterdir()) == before


# ------------------------------------------------------------------ per data set
def _lsp(**values):
    return LabelEfficiencySettings.for_dataset(dataset='lsp-extended', data_root='/lsp',
                                               **values)


def test_settings_for_lsp_extended():
    s = _lsp()
    assert s.budgets == (50, 200, 1000, 8000) and s.source_budgets == (50, 200)
    assert s.window == 3 and s.tasks == ('pose2d',) and s.test_split is True
    assert s.long_scratch_factor == 2. and s.long_scratch_reference == 'hsjp'
    assert s.sources == ('scratch', 'hsjp', 'jigsaw-cls', 'hsjp-generated',
                         'keypoints-2d-generated')
    assert s.labels_saved_against == 'best' and not s.quick
    # the generated people keep the class defaults: raw curve, equal compute, no test split
    g = LabelEfficiencySettings.for_dataset()
    assert g == LabelEfficiencySettings() and g.window == 1 and g.long_scratch_factor == 1. \
        and g.long_scratch_reference is None and g.test_split is False
    # an explicit value wins over the data set's and --quick's
    assert _lsp(window=2, budgets=(50, 200)).window == 2
    q = LabelEfficiencySettings.for_dataset(quick=True, dataset='lsp-extended',
                                            data_root='/lsp')
    assert q.quick and q.budgets == (50, 200) and q.source_budgets == (50,)
    assert q.window == 1 and q.max_iters == 100 and q.pretrain_epochs == 1
    # what --quick leaves alone stays LSP's
    assert q.long_scratch_factor == 2. and q.test_split is True
    assert LabelEfficiencySettings.for_dataset(quick=True, dataset='lsp-extended',
                                               data_root='/lsp', max_iters=50).max_iters == 50
    gq = LabelEfficiencySettings.for_dataset(quick=True)
    assert gq.quick and gq.budgets == (50, 200) and gq.num_train == 400 and gq.window == 1
    check_settings(_lsp())
    check_settings(q)


@pytest.mark.parametrize('values, match', [
    (dict(sources=('scratch', 'keypoints-2d')),
     r"sources: unknown \['keypoints-2d'\] for the lsp-extended data; choose from "
     r"\['scratch', 'hsjp', 'jigsaw-cls', 'hsjp-generated', 'keypoints-2d-generated'\]"),
    (dict(tasks=('pose2d', 'pose3d')),
     r"tasks: unknown \['pose3d'\] for the lsp-extended data; choose from \['pose2d'\]"),
    (dict(source_budgets=(50, 100)),
     r'source_budgets \[50, 100\] must be among the budgets \[50, 200, 1000, 8000\]'),
    (dict(sources=('scratch', 'hsjp'), long_scratch_reference='jigsaw-cls'),
     r"long_scratch_reference 'jigsaw-cls' is not among the sources \['scratch', 'hsjp'\]"),
    (dict(budgets=(50, 200, 9000)),
     r'a label budget of 9000 is more people than the LSP Extended \(real photos\) training '
     r'split holds \(8000\); lower the label budget: the fixed LSP Extended training split '
     r'has 8,000 people'),
    (dict(hsjp_recipes=('4x3:4',)), r"HSJP recipe '4x3:4'.*columns \[1, 2, 4, 8\]"),
])
def test_lsp_settings_are_checked(values, match):
    with pytest.raises(ValueError, match=match):
        check_settings(_lsp(**values))


def test_lsp_settings_that_pass():
    check_settings(_lsp(budgets=(50, 8000), source_budgets=(50,)))
    check_settings(_lsp(hsjp_recipes=('4x4:4',)))  # 4 columns divide 128
    check_settings(_lsp(sources=('scratch', 'keypoints-2d-generated'), long_scratch_reference=None))
    # on the generated people the generated-only source is fine, and 3D too
    check_settings(LabelEfficiencySettings(sources=('scratch', 'keypoints-2d'),
                                           tasks=('pose2d', 'pose3d')))
    with pytest.raises(ValueError, match=r"unknown \['hsjp-generated'\] for the generated"):
        check_settings(LabelEfficiencySettings(sources=('scratch', 'hsjp-generated')))


def test_lsp_benchmark_refuses_before_any_work(tmp_path, lsp_extended_dir):
    from hsjp_mmpose.experiments.label_efficiency import LabelEfficiencyBenchmark
    s = LabelEfficiencySettings.for_dataset(dataset='lsp-extended',
                                            data_root=str(lsp_extended_dir))
    benchmark = LabelEfficiencyBenchmark(tmp_path / 'ok', s)  # the published folder passes
    assert benchmark.source.name == 'lsp-extended' and not (tmp_path / 'ok').exists()
    with pytest.raises(ValueError, match=r"unknown \['pose3d'\]"):
        LabelEfficiencyBenchmark(tmp_path / 'bad', LabelEfficiencySettings.for_dataset(
            dataset='lsp-extended', data_root=str(lsp_extended_dir), tasks=('pose3d',)))
    with pytest.raises(ValueError, match=r'joints\.mat not found'):
        LabelEfficiencyBenchmark(tmp_path / 'bad', LabelEfficiencySettings.for_dataset(
            dataset='lsp-extended', data_root=str(tmp_path)))
    assert not (tmp_path / 'bad').exists()


@pytest.mark.integration
def test_tiny_benchmark_on_lsp_extended(lsp_extended_dir, tmp_path):
    """Scratch and HSJP on a few LSP Extended people through mim train / mim test: the
    plateau rule on a smoothed curve stops each arm where plateau() says, the long scratch
    arm runs, each arm's best checkpoint is scored on the test split, the mean pose beside."""
    from hsjp_mmpose.experiments.label_efficiency import LabelEfficiencyBenchmark
    settings = LabelEfficiencySettings.for_dataset(
        dataset='lsp-extended', data_root=str(lsp_extended_dir), sources=('scratch', 'hsjp'),
        budgets=(4, 8), source_budgets=None, long_scratch_budgets=(4, ), pretrain_epochs=1,
        pretrain_people=16, val_every=1, patience=1, window=2, min_delta_ap=0.5, max_iters=3,
        val_people=4, test_people=4, num_source=6)
    results = LabelEfficiencyBenchmark(tmp_path, settings, log=lambda line: None).run()
    for n in ('4', '8'):
        row = results['arms']['pose2d'][n]
        for source in ('scratch', 'hsjp'):
            r = row[source]
            records = json.loads((tmp_path / 'runs' / f'pose2d_n{n}_{source}' /
                                  'convergence.json').read_text())
            curve = [rec['metrics']['tPCK'] for rec in records]
            assert plateau([rec['iter'] for rec in records], curve, PlateauRule(
                1, 0.5, window=2))['stop_iter'] == r['stop_iter'] == records[-1]['iter']
            assert 0 <= r['test']['tPCK'] <= 1
    long = results['arms']['pose2d']['4']['scratch_equal_compute']
    assert long['factor'] == 2 and long['matches'] == 'hsjp'
    assert 'scratch_equal_compute' not in results['arms']['pose2d']['8']
    assert 0 <= results['mean_pose_2d']['4']['tPCK'] <= 1
    text = (tmp_path / 'results.md').read_text()
    assert 'Targets (issue 23' in text and 'val / test' in text
    assert (tmp_path / 'label_efficiency.png').is_file()
