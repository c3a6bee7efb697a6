# Copyright (c) hsjp-mmpose contributors.
"""The experiment runner: metric parsing, resume logic, per-epoch records, and the
commands' lifetime (SIGTERM, and the runner's own death by SIGKILL)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hsjp_mmpose.experiments import (Arm, ExperimentRunner, format_ap, markdown_table,
                                     parse_test_metrics, same_arm, training_set_size)

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


def test_markdown_table():
    assert markdown_table(['a', 'b'], [[1, 'x'], ['2', None]]) == \
        '| a | b |\n|---|---|\n| 1 | x |\n| 2 | None |'
    with pytest.raises(ValueError, match='1 cells for 2 columns'):
        markdown_table(['a', 'b'], [[1]])


def test_same_arm_compares_what_the_overrides_do():
    arm = Arm('a', PRETRAIN, ['train_cfg.max_epochs=3', 'randomness.seed=1'])
    saved = dict(arm.signature())
    assert same_arm(saved, arm)
    # the same overrides in another order: the same config, the same arm
    assert same_arm(dict(saved, options=['randomness.seed=1', 'train_cfg.max_epochs=3']), arm)
    # a later value of a key wins, as with --cfg-options
    assert same_arm(dict(saved, options=['randomness.seed=0', 'randomness.seed=1',
                                         'train_cfg.max_epochs=3']), arm)
    assert not same_arm(dict(saved, options=['train_cfg.max_epochs=4', 'randomness.seed=1']),
                        arm)
    assert not same_arm(dict(saved, config='/other.py'), arm)
    assert not same_arm(None, arm)
    # where a key is a prefix of another, the order changes the result and is compared
    nested = Arm('b', PRETRAIN, ['model.head.init_cfg=None', 'model.head.init_cfg.0.x=1'])
    swapped = dict(nested.signature(), options=nested.options[::-1])
    assert same_arm(nested.signature(), nested) and not same_arm(swapped, nested)


def test_arm_needs_an_existing_config(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.py'):
        Arm('a', tmp_path / 'missing.py')


CURVE = [dict(epoch=1, iter=13, elapsed_s=2., metrics={'coco/AP': 0.1}),
         dict(epoch=2, iter=26, elapsed_s=4., metrics={'coco/AP': 0.2})]


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
            (run_dir / 'convergence.json').write_text(json.dumps(CURVE))
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

    # the validation curve is kept in results.json, from the run's convergence.json
    assert run['convergence'] == CURVE
    saved = json.loads((tmp_path / 'results.json').read_text())['runs']['scratch']
    assert saved['convergence'] == CURVE

    third = _FakeRunner(tmp_path, log=lambda m: None)
    assert third.run(arm)['test'] == run['test'] and third.commands == []  # reused

    # a finished arm of an older work dir (its options in another order, no curve in
    # results.json) is reused too, its curve read from the run dir
    results = json.loads((tmp_path / 'results.json').read_text())
    record = results['runs']['scratch']
    record['signature']['options'] = record['signature']['options'][::-1]
    del record['convergence']
    record['val_per_epoch'] = [{'coco/AP': 0.2, 'step': 2}]
    (tmp_path / 'results.json').write_text(json.dumps(results))
    older = _FakeRunner(tmp_path, log=lambda m: None)
    assert older.run(arm)['convergence'] == CURVE and older.commands == []

    changed = Arm('scratch', PRETRAIN, ['train_cfg.max_epochs=3'])
    fourth = _FakeRunner(tmp_path, log=lambda m: None)
    fourth.run(changed)
    assert '--resume' not in fourth.commands[0]  # other options: trained again, fresh


def test_sigterm_stops_the_command_and_its_process_group(tmp_path):
    """``timeout``, a job scheduler or a cancelled CI job send SIGTERM: the running
    command (its own session, so Ctrl-C would not reach it) must be stopped too."""
    import threading
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


def test_training_set_size_counts_the_labelled_people(synthetic_coco):
    """What ``train_dataloader.dataset.indices=N`` takes the first N of: the people of
    the training annotations with a labelled keypoint (the default level puts up to 3 in
    an image; people wholly out of view are not samples)."""
    annotations = json.loads(
        (synthetic_coco / 'annotations/person_keypoints_train.json').read_text())
    labelled = [a for a in annotations['annotations'] if a['num_keypoints'] > 0]
    size = training_set_size(PRETRAIN.parents[1] / 'finetune/'
                             'td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py',
                             synthetic_coco)
    assert size == len(labelled) and size >= 24


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


# Like ``mim train``: a child that starts ``tools/train.py`` and waits for it.
FAKE_MIM = textwrap.dedent('''
    import os, subprocess, sys
    open(sys.argv[1], 'w').write(str(os.getpid()))
    subprocess.check_call([sys.executable, '-c',
                           'import os, sys, time; open(sys.argv[1], "w").write(str(os.getpid()));'
                           'time.sleep(120)', sys.argv[2]])
''')
RUNNER = textwrap.dedent('''
    import sys
    from hsjp_mmpose.experiments.runner import ExperimentRunner
    ExperimentRunner(sys.argv[1], log=lambda msg: None).run_command(
        'train_fake', [sys.executable, *sys.argv[2:]])
''')


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='reads /proc')
def test_a_command_ends_when_its_runner_is_killed(tmp_path):
    """A benchmark killed by SIGKILL (a time limit's hard kill, the OOM killer) cannot
    stop its command itself: the command (``mim train``) and its own child
    (``tools/train.py``) must still end within seconds."""
    fake_mim, child_pid, grandchild_pid = (tmp_path / 'fake_mim.py', tmp_path / 'mim.pid',
                                           tmp_path / 'train.pid')
    fake_mim.write_text(FAKE_MIM)
    runner = subprocess.Popen([sys.executable, '-c', RUNNER, str(tmp_path / 'work'),
                               str(fake_mim), str(child_pid), str(grandchild_pid)],
                              cwd=str(Path(__file__).resolve().parents[2]))
    try:
        deadline = time.time() + 120
        while not (grandchild_pid.is_file() and grandchild_pid.read_text()):
            assert runner.poll() is None, 'the runner ended before starting its command'
            assert time.time() < deadline, 'the command did not start'
            time.sleep(0.2)
        pids = [int(child_pid.read_text()), int(grandchild_pid.read_text())]
        assert all(_alive(pid) for pid in pids)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        deadline = time.time() + 5
        while any(_alive(pid) for pid in pids) and time.time() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in pids if _alive(pid)], 'training outlived its runner'
    finally:
        if runner.poll() is None:
            runner.kill()
        for path in (child_pid, grandchild_pid):
            if path.is_file() and path.read_text():
                try:
                    os.kill(int(path.read_text()), signal.SIGKILL)
                except ProcessLookupError:
                    pass


# ------------------------------------------------------------------ test checkpoint, data
def test_test_checkpoint_enters_the_signature_only_when_not_last():
    last = Arm('a', PRETRAIN, ['randomness.seed=1'])
    best = Arm('a', PRETRAIN, ['randomness.seed=1'], test_checkpoint='best')
    # a 'last' arm's signature is what results.json held before test_checkpoint existed,
    # so the finished arms of an older work dir are still reused
    assert set(last.signature()) == {'config', 'options', 'test_options'}
    assert best.signature() == dict(last.signature(), test_checkpoint='best')
    old = dict(config=str(PRETRAIN), options=['randomness.seed=1'], test_options=[])
    assert same_arm(old, last) and not same_arm(old, best)
    assert same_arm(best.signature(), best) and not same_arm(best.signature(), last)
    with pytest.raises(ValueError, match="arm 'a': test_checkpoint must be 'last' or 'best', "
                                         "got 'first'"):
        Arm('a', PRETRAIN, test_checkpoint='first')


def test_best_checkpoint_is_the_newest_best_file(tmp_path):
    from hsjp_mmpose.experiments.runner import best_checkpoint
    assert best_checkpoint(tmp_path) is None
    assert best_checkpoint(tmp_path / 'missing') is None
    (tmp_path / 'epoch_9.pth').write_bytes(b'x')  # not a best checkpoint
    assert best_checkpoint(tmp_path) is None
    # by time, not by name: epoch 3's file is older than epoch 12's
    for name, mtime in (('best_tPCK_epoch_3.pth', 1000), ('best_tPCK_epoch_12.pth', 3000),
                        ('best_coco_AP_epoch_5.pth', 2000)):
        (tmp_path / name).write_bytes(b'x')
        os.utime(tmp_path / name, (mtime, mtime))
    assert best_checkpoint(tmp_path) == str(tmp_path / 'best_tPCK_epoch_12.pth')


class _BestRunner(_FakeRunner):
    """Also keeps a save_best checkpoint, as a config with save_best does."""

    def __init__(self, *args, best=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.best = best

    def run_command(self, step, args):
        output = super().run_command(step, args)
        if step.startswith('train_') and self.best:
            run_dir = Path(args[args.index('--work-dir') + 1])
            (run_dir / 'best_coco_AP_epoch_1.pth').write_bytes(b'x')
        return output


def _tested_checkpoint(commands):
    test = commands[-1]
    return test[test.index('--checkpoint') + 1]


def test_an_arm_tests_its_best_checkpoint(tmp_path):
    runner = _BestRunner(tmp_path / 'a', log=lambda m: None)
    run = runner.run(Arm('best', PRETRAIN, test_checkpoint='best'))
    best = str(tmp_path / 'a' / 'runs' / 'best' / 'best_coco_AP_epoch_1.pth')
    assert _tested_checkpoint(runner.commands) == best and run['best_checkpoint'] == best
    assert run['checkpoint'].endswith('epoch_1.pth')  # the last one, for resuming
    # 'last' tests the last checkpoint even where a best one is kept
    runner = _BestRunner(tmp_path / 'b', log=lambda m: None)
    run = runner.run(Arm('last', PRETRAIN))
    assert _tested_checkpoint(runner.commands).endswith('/last/epoch_1.pth')
    assert 'best_checkpoint' not in run
    # no save_best checkpoint: the last one
    runner = _BestRunner(tmp_path / 'c', log=lambda m: None, best=False)
    run = runner.run(Arm('best', PRETRAIN, test_checkpoint='best'))
    assert _tested_checkpoint(runner.commands).endswith('/best/epoch_1.pth')
    assert run['best_checkpoint'] == run['checkpoint']


def test_parse_test_metrics_reads_torso_pck():
    val_line = ('12/05 09:00:00 - mmengine - INFO - Epoch(val) [5][32/32]    tPCK: 0.100000  '
                'data_time: 0.01')
    earlier = ('12/05 10:00:00 - mmengine - INFO - Epoch(test) [32/32]    tPCK: 0.200000  '
               'data_time: 0.01')
    line = ('12/05 10:05:00 - mmengine - INFO - Epoch(test) [32/32]    coco/AP: 0.301000  '
            'coco/AP .5: 0.700000  PCK: 0.812500  tPCK: 0.641000  tPCK/right_ankle: 0.412000  '
            'tPCK/head_top: 0.9  tPCK/people: 1000  data_time: 0.010000  time: 0.200000')
    metrics = parse_test_metrics('\n'.join([val_line, earlier, line, 'done']))
    assert metrics == pytest.approx({'coco/AP': 0.301, 'coco/AP .5': 0.7, 'PCK': 0.8125,
                                     'tPCK': 0.641, 'tPCK/right_ankle': 0.412,
                                     'tPCK/head_top': 0.9, 'tPCK/people': 1000.})
    # the COCO line without torso PCK reads as before
    assert 'tPCK' not in parse_test_metrics(TEST_LINE)


def test_check_labelled_people_of_a_data_sources_split(tiny_coco_source):
    """The split's own annotation file counts (not the config's), and the error names the
    file, what it holds and the source's hint."""
    from hsjp_mmpose.experiments.data_sources import DataFiles
    from hsjp_mmpose.experiments.runner import check_labelled_people
    config = PRETRAIN.parents[1] / 'finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'

    def labelled(split):
        annotations = json.loads((tiny_coco_source / f'annotations/person_keypoints_{split}'
                                                     '.json').read_text())['annotations']
        return sum(a['num_keypoints'] > 0 for a in annotations)

    train = DataFiles(tiny_coco_source, 'annotations/person_keypoints_train.json',
                      'images/train/')
    val = DataFiles(tiny_coco_source, 'annotations/person_keypoints_val.json', 'images/val/')
    assert labelled('train') != labelled('val')
    assert check_labelled_people(1, config, train) == labelled('train')
    assert check_labelled_people(1, config, val) == labelled('val')
    too_many = labelled('train') + 1
    where = tiny_coco_source / 'annotations/person_keypoints_train.json'
    with pytest.raises(ValueError) as error:
        check_labelled_people(too_many, config, train, hint='label more people')
    assert str(error.value) == (f'num_labelled is {too_many}, but the training split in '
                                f'{where} holds only {labelled("train")} labelled people; '
                                'label more people')
    # a folder (the config's own files) and the default hint
    with pytest.raises(ValueError, match=rf'in {tiny_coco_source} holds only '
                                         rf'{labelled("train")} labelled people; lower '
                                         r'num_labelled or generate more images'):
        check_labelled_people(too_many, config, tiny_coco_source)
