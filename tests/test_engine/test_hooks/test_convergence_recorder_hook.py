# Copyright (c) hsjp-mmpose contributors.
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hsjp_mmpose.engine.hooks import ConvergenceRecorderHook
from hsjp_mmpose.engine.hooks import convergence_recorder_hook as module
from hsjp_mmpose.experiments.convergence import load_convergence
from tests.test_engine.engine_helpers import ListLogger


def fake_runner(tmp_path, epoch=0, iter_per_epoch=10):
    return SimpleNamespace(work_dir=str(tmp_path), epoch=epoch, iter=epoch * iter_per_epoch,
                           logger=ListLogger())


def _train(hook, runner, epochs, iter_per_epoch=10):
    """What the training loop does around validations: before_train, then per epoch."""
    hook.before_train(runner)
    for _ in range(epochs):
        runner.epoch += 1
        runner.iter += iter_per_epoch
        hook.after_val_epoch(runner, {'coco/AP': 0.1 * runner.epoch,
                                      'PCK': np.float32(0.5), 'acc': torch.tensor(0.25),
                                      'bad': float('nan'), 'name': 'not a number'})


def test_one_record_per_validation(tmp_path):
    runner, hook = fake_runner(tmp_path), ConvergenceRecorderHook()
    _train(hook, runner, 3)
    hook.after_train(runner)
    records = json.loads((tmp_path / 'convergence.json').read_text())
    assert [r['epoch'] for r in records] == [1, 2, 3]
    assert [r['iter'] for r in records] == [10, 20, 30]
    assert set(records[0]) == {'epoch', 'iter', 'elapsed_s', 'metrics'}
    elapsed = [r['elapsed_s'] for r in records]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0
    assert records[2]['metrics'] == {'coco/AP': pytest.approx(0.3), 'PCK': 0.5, 'acc': 0.25,
                                     'bad': 'nan'}
    assert load_convergence(tmp_path) == records
    # a validation after training (runner.val(), mim test) is not recorded
    hook.after_val_epoch(runner, {'coco/AP': 1.})
    assert len(json.loads((tmp_path / 'convergence.json').read_text())) == 3


def test_a_second_validation_at_the_same_point_replaces_the_first(tmp_path):
    runner, hook = fake_runner(tmp_path), ConvergenceRecorderHook()
    _train(hook, runner, 1)
    hook.after_val_epoch(runner, {'coco/AP': 0.9})
    records = load_convergence(tmp_path)
    assert len(records) == 1 and records[0]['metrics'] == {'coco/AP': 0.9}


def test_resume_keeps_earlier_records_without_duplicates(tmp_path):
    _train(ConvergenceRecorderHook(), fake_runner(tmp_path), 3)
    before = load_convergence(tmp_path)
    # killed after epoch 3's validation; the last checkpoint was epoch 2's
    runner, hook = fake_runner(tmp_path, epoch=2), ConvergenceRecorderHook()
    _train(hook, runner, 2)
    records = load_convergence(tmp_path)
    assert [r['epoch'] for r in records] == [1, 2, 3, 4]
    assert records[:2] == before[:2]
    # the clock goes on from the last kept record
    assert records[2]['elapsed_s'] >= before[1]['elapsed_s']
    assert 'kept 2 records' in runner.logger.text and 'dropped 1' in runner.logger.text


def test_a_fresh_run_starts_a_new_file(tmp_path):
    _train(ConvergenceRecorderHook(), fake_runner(tmp_path), 3)
    runner = fake_runner(tmp_path)
    _train(ConvergenceRecorderHook(), runner, 1)
    assert [r['epoch'] for r in load_convergence(tmp_path)] == [1]
    assert 'started anew' in runner.logger.text


def test_write_is_atomic(tmp_path, monkeypatch):
    runner, hook = fake_runner(tmp_path), ConvergenceRecorderHook()
    _train(hook, runner, 1)
    good = (tmp_path / 'convergence.json').read_text()

    def dump_half_then_fail(obj, f, **kwargs):
        f.write('[{"epoch": 2, "it')
        raise OSError('disk full')

    monkeypatch.setattr(module.json, 'dump', dump_half_then_fail)
    with pytest.raises(OSError, match='disk full'):
        _train(hook, runner, 1)
    assert (tmp_path / 'convergence.json').read_text() == good  # never half-written


def test_only_the_main_process_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(module, 'is_main_process', lambda: False)
    _train(ConvergenceRecorderHook(), fake_runner(tmp_path), 2)
    assert not (tmp_path / 'convergence.json').exists()


@pytest.mark.parametrize('filename', ['', 'sub/convergence.json', None])
def test_rejects_bad_filename(filename):
    with pytest.raises(ValueError, match='filename'):
        ConvergenceRecorderHook(filename=filename)


@pytest.mark.integration
def test_real_runner_train_then_resume(real_coco_dir, tmp_path):
    from mmengine.runner import Runner
    from .test_export_backbone_hook import tiny_runner_cfg
    cfg = tiny_runner_cfg(real_coco_dir, tmp_path)
    cfg.custom_hooks = [dict(type='ConvergenceRecorderHook')]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    Runner.from_cfg(cfg.copy()).train()
    first = load_convergence(tmp_path)
    assert [r['epoch'] for r in first] == [1, 2]
    assert 'coco/AP' in first[0]['metrics']

    cfg.train_cfg.max_epochs = 3
    cfg.resume = True
    Runner.from_cfg(cfg).train()
    records = load_convergence(tmp_path)
    assert [r['epoch'] for r in records] == [1, 2, 3]
    assert records[:2] == first
    assert records[2]['elapsed_s'] >= first[1]['elapsed_s']
