# Copyright (c) hsjp-mmpose contributors.
"""PlateauStoppingHook: it stops where plateau() says on the curve so far (random curves,
every window), it is mmengine's EarlyStoppingHook with a window of 1, a resumed run reads
its curve back from convergence.json; one short training through mmengine's Runner
(integration)."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hsjp_mmpose.engine.hooks import PlateauStoppingHook
from hsjp_mmpose.engine.plateau import PlateauRule, plateau
from tests.test_engine.engine_helpers import ListLogger

NAN = float('nan')


def fake_runner(tmp_path, iter=0):
    return SimpleNamespace(iter=iter, work_dir=str(tmp_path), logger=ListLogger(),
                           train_loop=SimpleNamespace(stop_training=False))


def drive(hook, runner, iters, values, monitor='m'):
    """Validations at ``iters`` with ``values`` until the hook stops training; the index
    of the validation it stopped at, or None."""
    for i, (it, value) in enumerate(zip(iters, values)):
        runner.iter = it
        hook.after_val_epoch(runner, {monitor: value, 'other/metric': 0.5})
        if runner.train_loop.stop_training:
            return i
    return None


def random_curve(rng, higher_is_better):
    length = int(rng.integers(1, 25))
    steps = rng.choice([-1., 0., 0.5, 1., 2.], size=length) * rng.random(length)
    values = np.round(np.cumsum(steps) * (1 if higher_is_better else -1) + 100, 1).tolist()
    if rng.random() < 0.1:  # now and then a validation that went wrong
        values[int(rng.integers(0, length))] = NAN
    iters = np.cumsum(rng.integers(1, 30, size=length)).tolist()
    return iters, values


def test_stops_where_plateau_says_on_random_curves(tmp_path):
    """200 random curves, windows 1-4, both directions: the hook, fed one validation at a
    time, stops at the validation where plateau() on the whole curve stops (and runs on
    where plateau() says the curve was never stopped)."""
    rng = np.random.default_rng(1)
    stops = {True: 0, False: 0}
    for trial in range(200):
        higher = bool(rng.random() < 0.5)
        window = trial % 4 + 1
        patience, min_delta = int(rng.integers(1, 5)), float(rng.choice([0., 0.5, 1., 2.]))
        iters, values = random_curve(rng, higher)
        hook = PlateauStoppingHook('m', rule='greater' if higher else 'less',
                                   min_delta=min_delta, patience=patience, window=window)
        runner = fake_runner(tmp_path)
        hook.before_train(runner)
        stop = drive(hook, runner, iters, values)
        expected = plateau(iters, values, PlateauRule(patience, min_delta, higher, window))
        assert (stop is not None) == expected['stopped'], (trial, window, values)
        stops[expected['stopped']] += 1
        if stop is not None:
            assert iters[stop] == expected['stop_iter'], (trial, window, values)
            assert f'best {expected["best"]} at iteration {expected["best_iter"]}' in \
                runner.logger.text
            assert f'(window {window})' in runner.logger.text
        else:
            assert runner.logger.lines == []
    assert min(stops.values()) > 20  # both outcomes are exercised


@pytest.mark.parametrize('higher_is_better', [True, False])
def test_window_one_is_mmengines_early_stopping_hook(tmp_path, higher_is_better):
    from mmengine.hooks import EarlyStoppingHook
    rng = np.random.default_rng(2)
    rule = 'greater' if higher_is_better else 'less'
    for trial in range(200):
        iters, values = random_curve(rng, higher_is_better)
        patience, min_delta = int(rng.integers(1, 5)), float(rng.choice([0., 0.5, 1.]))
        ours = drive(PlateauStoppingHook('m', rule, min_delta, patience), fake_runner(tmp_path),
                     iters, values)
        theirs = drive(EarlyStoppingHook('m', rule=rule, min_delta=min_delta,
                                         patience=patience), fake_runner(tmp_path),
                       iters, values)
        assert ours == theirs, (trial, values, patience, min_delta)


def write_convergence(work_dir, records):
    """``convergence.json`` as ConvergenceRecorderHook writes it."""
    (work_dir / 'convergence.json').write_text(json.dumps(
        [dict(epoch=i + 1, iter=it, elapsed_s=5. * (i + 1), metrics=metrics)
         for i, (it, metrics) in enumerate(records)], indent=1))


def test_resumed_run_reads_the_curve_back_and_continues_the_count(tmp_path):
    """Window 2, patience 2, min_delta 0.05. Recorded before the run was killed: 0.10,
    0.30, 0.18 at iterations 10-30 (smoothed 0.10, 0.20, 0.24: the third does not beat
    0.20 + 0.05, wait 1), and 0.90 at 40, validated after the last checkpoint (iteration
    30, where training resumes; the record is trained again, not read). The resumed
    validation at 40 gives 0.31: smoothed (0.18 + 0.31) / 2 = 0.245 < 0.25, wait 2: stop.
    A fresh hook would take 0.31 as its first improvement."""
    write_convergence(tmp_path, [(10, {'tPCK': 0.10, 'PCK': 0.2}), (20, {'tPCK': 0.30}),
                                 (25, {'PCK': 0.3}),  # no tPCK: not part of the curve
                                 (30, {'tPCK': 0.18}), (40, {'tPCK': 0.90})])
    hook = PlateauStoppingHook('tPCK', min_delta=0.05, patience=2, window=2)
    runner = fake_runner(tmp_path, iter=30)
    hook.before_train(runner)
    assert hook.iters == [10, 20, 30] and hook.values == [0.10, 0.30, 0.18]
    runner.iter = 40
    hook.after_val_epoch(runner, {'tPCK': 0.31})
    assert runner.train_loop.stop_training
    assert 'best 0.31 at iteration 40' in runner.logger.text

    # a fresh run (iteration 0) in the same work dir ignores the old file
    hook, runner = PlateauStoppingHook('tPCK', min_delta=0.05, patience=2, window=2), \
        fake_runner(tmp_path, iter=0)
    hook.before_train(runner)
    assert hook.values == []
    runner.iter = 40
    hook.after_val_epoch(runner, {'tPCK': 0.31})
    assert not runner.train_loop.stop_training

    # a resumed run without the file (no ConvergenceRecorderHook) starts an empty curve
    empty = tmp_path / 'empty'
    empty.mkdir()
    hook = PlateauStoppingHook('tPCK', min_delta=0.05, patience=2, window=2)
    hook.before_train(fake_runner(empty, iter=30))
    assert hook.iters == [] and hook.values == []


def test_before_train_forgets_an_earlier_training(tmp_path):
    hook = PlateauStoppingHook('m', patience=1, min_delta=1.)
    runner = fake_runner(tmp_path)
    drive(hook, runner, [1], [0.5])
    hook.before_train(fake_runner(tmp_path))
    assert hook.values == [] and hook.iters == []


def test_numpy_and_torch_scalars_are_their_values(tmp_path):
    """Metrics may come as NumPy or 0-d torch scalars (ConvergenceRecorderHook records
    them as their values); the hook must read the same curve, not a NaN that stops."""
    hook = PlateauStoppingHook('m', patience=1, min_delta=0.)
    runner = fake_runner(tmp_path)
    assert drive(hook, runner, [1, 2, 3], [np.float32(0.25), torch.tensor(0.5),
                                           np.float64(0.75)]) is None
    assert hook.values == pytest.approx([0.25, 0.5, 0.75])
    # a value that is no number counts as non-finite: the rule stops there
    assert drive(hook, runner, [4], ['not a number']) == 0


def test_a_missing_monitor_names_the_metrics(tmp_path):
    hook = PlateauStoppingHook('tPCK')
    with pytest.raises(KeyError, match=r"'tPCK'.*\['PCK', 'coco/AP'\]"):
        hook.after_val_epoch(fake_runner(tmp_path), {'coco/AP': 0.1, 'PCK': 0.2})
    with pytest.raises(KeyError, match=r"'tPCK'.*\[\]"):
        hook.after_val_epoch(fake_runner(tmp_path), None)


@pytest.mark.parametrize('kwargs, match', [
    (dict(rule='max'), "rule must be 'greater' or 'less'"),
    (dict(rule=None), "rule must be 'greater' or 'less'"),
    (dict(window=0), 'window must be an integer >= 1'),
    (dict(patience=0), 'patience must be an integer >= 1'),
    (dict(min_delta=-0.1), 'min_delta must be >= 0'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PlateauStoppingHook('tPCK', **kwargs)


def test_built_from_a_config_dict():
    import hsjp_mmpose  # noqa: F401  (registers the hook)
    from mmengine.registry import init_default_scope
    from mmpose.registry import HOOKS
    init_default_scope('mmpose')
    hook = HOOKS.build(dict(type='PlateauStoppingHook', monitor='MPJPE', rule='less',
                            min_delta=1, patience=4, window=3))
    assert hook.rule == PlateauRule(4, 1., higher_is_better=False, window=3)
    assert hook.priority == 'LOWEST'


# ------------------------------------------------------------------ integration
@pytest.mark.integration
def test_training_stops_where_plateau_says(tiny_coco, tmp_path):
    """mmengine's Runner on 8 generated people with plateau_options (window 2, patience 1,
    min_delta 1 AP: unreachable), validating every epoch with a cap of 4 epochs: the
    PlateauStoppingHook stops the training at the second validation, where plateau() on
    the run's convergence.json stops too."""
    import argparse

    from mmengine.config import Config, DictAction
    from mmengine.runner import Runner

    from hsjp_mmpose.engine.convergence import load_convergence
    from hsjp_mmpose.experiments.options import coco_data_root_options
    from hsjp_mmpose.experiments.plateau import plateau_options
    from tests.utils import REPO_ROOT
    config = REPO_ROOT / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
    rule = PlateauRule(patience=1, min_delta=1.0, window=2)
    options = coco_data_root_options(tiny_coco) + plateau_options(
        config, 8, rule=rule, metric='coco/AP', val_every=1, max_iters=4)
    assert 'train_cfg.max_epochs=4' in options and 'train_cfg.val_interval=1' in options
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(parser.parse_args(['--cfg-options', *options]).cfg_options)
    work_dir = tmp_path / 'run'
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.batch_size = 8
    cfg.val_dataloader.batch_size = cfg.test_dataloader.batch_size = 8
    cfg.model.test_cfg.flip_test = False
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    assert 'PlateauStoppingHook' in [type(h).__name__ for h in runner.hooks]
    runner.train()

    records = load_convergence(work_dir)
    iters = [r['iter'] for r in records]
    values = [r['metrics']['coco/AP'] for r in records]
    expected = plateau(iters, values, rule)
    assert expected['stopped'] and expected['num_vals'] == 2
    assert len(records) == 2 and runner.epoch == 2 and runner.iter == iters[-1]
    assert (work_dir / 'epoch_2.pth').is_file() and not (work_dir / 'epoch_3.pth').exists()
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'PlateauStoppingHook: coco/AP has not improved by 1 for 1 validations (window 2)' \
        in log
