# Copyright (c) hsjp-mmpose contributors.
"""The experiment runner: overrides by transform type, metric parsing, resume logic."""
import json
from pathlib import Path

import pytest

from hsjp_mmpose.experiments import (Arm, ExperimentRunner, format_ap, parse_test_metrics,
                                     pipeline_index, read_val_scalars, transform_options)

REPO = Path(__file__).resolve().parents[2]
PRETRAIN = REPO / 'configs/hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'
TEST_LINE = ('11/21 09:08:01 - mmengine - INFO - Epoch(test) [10/10]    coco/AP: 0.251234  '
             'coco/AP .5: 0.612000  coco/AP (M): -1.000000  PCK: 0.8125  data_time: 0.02  '
             'time: 0.13')


def test_format_ap():
    assert format_ap(0.25123) == '25.1' and format_ap(None) == 'n/a'


def test_parse_test_metrics():
    metrics = parse_test_metrics('noise\n' + TEST_LINE + '\n')
    assert metrics == pytest.approx({'coco/AP': 0.251234, 'coco/AP .5': 0.612,
                                     'coco/AP (M)': -1.0, 'PCK': 0.8125})
    assert parse_test_metrics('no test line') == {}


def test_read_val_scalars_joins_resumed_runs(tmp_path):
    for stamp, rows in (('20260101_000000', [{'coco/AP': 0.1, 'step': 1},
                                             {'loss': 0.3, 'step': 13}]),
                        ('20260101_010000', [{'coco/AP': 0.2, 'step': 2}])):
        vis = tmp_path / stamp / 'vis_data'
        vis.mkdir(parents=True)
        (vis / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in rows))
    assert [r['step'] for r in read_val_scalars(tmp_path)] == [1, 2]
    assert read_val_scalars(tmp_path / 'missing') == []


def test_transforms_are_found_by_type():
    from mmengine.config import Config
    cfg = Config.fromfile(str(PRETRAIN))
    index = pipeline_index(cfg, 'train_dataloader', 'RandomJigsaw')
    assert cfg.train_dataloader.dataset.pipeline[index].type == 'RandomJigsaw'
    options = transform_options(cfg, 'RandomJigsaw', ['train_dataloader', 'val_dataloader'],
                                grid=(3, 2), patch_jitter=4)
    cfg.merge_from_dict({k: eval(v) for k, v in (o.split('=', 1) for o in options)})
    for loader in ('train_dataloader', 'val_dataloader'):
        step = cfg[loader].dataset.pipeline[pipeline_index(cfg, loader, 'RandomJigsaw')]
        assert step.grid == (3, 2) and step.patch_jitter == 4
    with pytest.raises(KeyError, match='has no Nonexistent'):
        pipeline_index(cfg, 'train_dataloader', 'Nonexistent')


def test_arm_needs_an_existing_config(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.py'):
        Arm('a', tmp_path / 'missing.py')


class _FakeRunner(ExperimentRunner):
    """Records commands instead of running them; 'trains' by writing a checkpoint."""

    def __init__(self, *args, fail_train=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands = []
        self.fail_train = fail_train

    def run_command(self, step, args):
        self.commands.append([str(a) for a in args])
        if step.startswith('train_'):
            run_dir = Path(args[args.index('--work-dir') + 1])
            run_dir.mkdir(parents=True, exist_ok=True)
            (run_dir / 'epoch_1.pth').write_bytes(b'x')
            (run_dir / 'last_checkpoint').write_text(str(run_dir / 'epoch_1.pth'))
            if self.fail_train:
                raise KeyboardInterrupt('stopped')
            return '', 2.0
        return TEST_LINE, 1.0


def test_runner_reuses_finished_arms_and_resumes_stopped_ones(tmp_path):
    arm = Arm('scratch', PRETRAIN, ['train_cfg.max_epochs=2',
                                   'val_dataloader.dataset.data_root=/d/'])
    first = _FakeRunner(tmp_path, log=lambda m: None, fail_train=True)
    with pytest.raises(KeyboardInterrupt):
        first.run(arm)
    saved = json.loads((tmp_path / 'results.json').read_text())['runs']['scratch']
    assert saved['finished'] is False

    second = _FakeRunner(tmp_path, log=lambda m: None)
    run = second.run(arm)
    train, test = second.commands
    assert '--resume' in train  # the stopped arm continues from its checkpoint
    assert run['finished'] and run['test']['coco/AP'] == pytest.approx(0.251234)
    # mim test gets the data and model options, not the schedule
    assert 'val_dataloader.dataset.data_root=/d/' in test
    assert not any(o.startswith('train_cfg') for o in test)

    third = _FakeRunner(tmp_path, log=lambda m: None)
    assert third.run(arm)['test'] == run['test'] and third.commands == []  # reused

    changed = Arm('scratch', PRETRAIN, ['train_cfg.max_epochs=3'])
    fourth = _FakeRunner(tmp_path, log=lambda m: None)
    fourth.run(changed)
    assert '--resume' not in fourth.commands[0]  # other options: trained again, fresh


def test_sigterm_stops_the_command_and_its_process_group(tmp_path):
    """``timeout``, a job scheduler or a cancelled CI job send SIGTERM: the running
    command (its own session, so Ctrl-C would not reach it) must be stopped too."""
    import os
    import signal
    import threading
    import time
    runner = ExperimentRunner(tmp_path, log=lambda msg: None)
    before = signal.getsignal(signal.SIGTERM)
    marker = tmp_path / 'child.pid'
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    start = time.time()
    with pytest.raises(KeyboardInterrupt, match='signal 15'):
        runner.run_command('sleeper', ['bash', '-c', f'echo $$ > {marker}; sleep 60'])
    timer.cancel()
    assert time.time() - start < 30
    pid = int(marker.read_text())
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the child is gone
    assert signal.getsignal(signal.SIGTERM) == before  # the old handler is back
