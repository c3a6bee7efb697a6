# Copyright (c) hsjp-mmpose contributors.
"""The pretraining-source benchmark: settings, convergence epochs, report, answers."""
import json

import pytest

from hsjp_mmpose.experiments.benchmark import tasks_for
from hsjp_mmpose.experiments.data_sources import GeneratedPeople, LspExtended
from hsjp_mmpose.experiments.pretraining import (PretrainingBenchmarkSettings,
                                               add_convergence_epochs, answers,
                                               check_settings, format_report, plot_curves,
                                               sources_for)

TASKS = tasks_for(GeneratedPeople())
POSE2D, POSE3D = TASKS


def _run_dir(tmp_path, name, curve, metric):
    work_dir = tmp_path / name
    work_dir.mkdir()
    records = [dict(epoch=e, iter=10 * e, elapsed_s=float(e), metrics={metric: v})
               for e, v in curve]
    (work_dir / 'convergence.json').write_text(json.dumps(records))
    return str(work_dir)


def _results(tmp_path):
    """Three sources with hand-made curves; finals are the last values."""
    curves = {
        'scratch': ([(3, 0.05), (6, 0.15), (9, 0.20)], [(3, 300.), (6, 200.), (9, 150.)]),
        'hsjp': ([(3, 0.10), (6, 0.30), (9, 0.31)], [(3, 200.), (6, 120.), (9, 110.)]),
        'keypoints-2d': ([(3, 0.28), (6, 0.33), (9, 0.34)], [(3, 110.), (6, 100.), (9, 99.)]),
        'jigsaw-cls': ([(3, 0.05), (6, 0.10), (9, 0.18)], [(3, 250.), (6, 210.), (9, 180.)]),
    }
    rows = []
    for name, (c2d, c3d) in curves.items():
        rows.append(dict(
            source=name, transfer=None if name == 'scratch' else 'whole', pretrain_s=10.,
            wall_s=30.,
            pose2d=dict(test={'coco/AP': c2d[-1][1], 'coco/AP .5': 0.9}, train_s=10.,
                        work_dir=_run_dir(tmp_path, f'2d_{name}', c2d, 'coco/AP')),
            pose3d=dict(test={'MPJPE': c3d[-1][1], 'P-MPJPE': c3d[-1][1] * 0.7}, train_s=10.,
                        work_dir=_run_dir(tmp_path, f'3d_{name}', c3d, 'MPJPE'))))
    add_convergence_epochs(rows, TASKS, 0.9)
    settings = PretrainingBenchmarkSettings()
    from dataclasses import asdict
    return dict(settings=asdict(settings), table=rows, total_seconds=600.)


@pytest.mark.parametrize('data', [GeneratedPeople(), LspExtended(data_root='unused')],
                         ids=['generated', 'lsp-extended'])
def test_sources_and_tasks_name_existing_configs(data):
    for source in sources_for(data):
        assert source.role is None or data.config(source.role).is_file(), source
    for task in tasks_for(data):
        assert task.scratch_config(data).is_file() and task.init_config(data).is_file()
    assert [t.name for t in tasks_for(data)] == (
        ['pose2d', 'pose3d'] if data.name == 'generated' else ['pose2d'])


@pytest.mark.parametrize('change, message', [
    (dict(sources=('imagenet', )), 'sources'),
    (dict(tasks=('pose4d', )), 'tasks'),
    (dict(num_labelled=0), 'num_labelled'),
    (dict(fraction=1.5), 'fraction'),
    (dict(data_level='impossible'), 'impossible'),
    (dict(num_train=100, num_labelled=101), r'num_labelled is 101.*easy level can hold \(100\)'),
])
def test_bad_settings_fail_at_once_naming_the_setting(change, message):
    settings = PretrainingBenchmarkSettings(**change)
    with pytest.raises((ValueError, KeyError), match=message):
        check_settings(settings)


def test_convergence_epochs_use_the_tasks_best_final_score(tmp_path):
    rows = {r['source']: r for r in _results(tmp_path)['table']}
    # 2D: best final AP 0.34 -> target 0.306
    assert rows['keypoints-2d']['pose2d']['epochs_to_fraction'] == 6
    assert rows['hsjp']['pose2d']['epochs_to_fraction'] == 9
    assert rows['scratch']['pose2d']['epochs_to_fraction'] is None
    # 3D: best final MPJPE 99 -> target 110 mm
    assert rows['keypoints-2d']['pose3d']['epochs_to_fraction'] == 3
    assert rows['hsjp']['pose3d']['epochs_to_fraction'] == 9
    assert rows['jigsaw-cls']['pose3d']['epochs_to_fraction'] is None
    # against each run's own best: the speed of its own curve
    assert rows['scratch']['pose2d']['epochs_to_own_fraction'] == 9
    assert rows['jigsaw-cls']['pose3d']['epochs_to_own_fraction'] == 9


def test_report_table_and_answers(tmp_path):
    results = _results(tmp_path)
    text = format_report(results)
    assert '| keypoints-2d | whole | 10 | 34.0 | 90.0 | 6 (6) | 99.0 | 69.3 | 3 (3) | 30 |' in text
    assert '| scratch | - | 10 | 20.0 | 90.0 | - (9) |' in text
    lines = answers(results)
    assert '- Best source for pose2d (COCO AP (%)): keypoints-2d (34.0).' in lines
    assert '- Best source for pose3d (MPJPE (mm)): keypoints-2d (99.0).' in lines
    assert any(line.startswith('- HSJP beats jigsaw classification on pose2d') for line in lines)
    assert '- keypoints-2d converges faster than the self-supervised sources on pose2d: 6 ' \
        "epochs to 90% of the task's best vs hsjp 9, jigsaw-cls never." in lines
    assert 'Whole benchmark: 10.0 min.' in text


def test_a_tie_within_one_percent_is_called_level(tmp_path):
    results = _results(tmp_path)
    rows = {r['source']: r for r in results['table']}
    rows['jigsaw-cls']['pose3d']['test']['MPJPE'] = 110.5  # hsjp: 110
    assert '- HSJP is level with jigsaw classification on pose3d: 110.0 vs 110.5.' \
        in answers(results)


def test_plot_has_one_panel_per_task(tmp_path):
    out = tmp_path / 'convergence.png'
    plot_curves(_results(tmp_path), out)
    assert out.is_file() and out.stat().st_size > 5000


@pytest.mark.integration
def test_tiny_benchmark_end_to_end_and_resume(tmp_path):
    from hsjp_mmpose.experiments.pretraining import PretrainingBenchmark
    settings = PretrainingBenchmarkSettings(
        sources=('scratch', 'jigsaw-cls', 'keypoints-2d'), num_train=12, num_val=6,
        num_source=8, num_labelled=8, pretrain_epochs=1, finetune_epochs=2, val_interval=1)
    lines = []
    results = PretrainingBenchmark(tmp_path, settings, log=lines.append).run()
    rows = {r['source']: r for r in results['table']}
    assert list(rows) == ['scratch', 'jigsaw-cls', 'keypoints-2d']
    for row in rows.values():
        assert 'coco/AP' in row['pose2d']['test']
        assert row['pose3d']['test']['P-MPJPE'] <= row['pose3d']['test']['MPJPE']
        for task in ('pose2d', 'pose3d'):
            records = json.loads(
                (tmp_path / 'runs' / f"{task}_{row['source']}" / 'convergence.json').read_text())
            assert [r['epoch'] for r in records] == [1, 2]
    # what each source handed on: jigsaw-cls the backbone, keypoints-2d also the head
    logs = tmp_path / 'logs'
    assert '120/120 tensors loaded' in (logs / 'train_pose2d_jigsaw-cls.log').read_text()
    assert '18/22 tensors loaded' in (logs / 'train_pose3d_keypoints-2d.log').read_text()
    for name in ('results.md', 'results.json', 'convergence.png'):
        assert (tmp_path / name).is_file()
    # a second run reuses every finished arm
    again = PretrainingBenchmark(tmp_path, settings, log=lines.append).run()
    assert again['table'][2]['pose3d']['test'] == results['table'][2]['pose3d']['test']


def test_cli_refuses_more_labelled_people_than_generated_before_training(tmp_path, capsys):
    """Four hard-level images may hold 12 people (the settings pass); the generated ones
    hold fewer, which stops the benchmark after the data and before any training, with
    one line naming the setting (no traceback)."""
    from tools.benchmark_pretraining import main
    with pytest.raises(SystemExit) as stop:
        main(['--work-dir', str(tmp_path), '--sources', 'scratch', '--tasks', 'pose2d',
              '--level', 'hard', '--num-train', '4', '--num-val', '2', '--num-labelled', '12'])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert 'num_labelled is 12' in err and 'holds only' in err and 'Traceback' not in err
    assert (tmp_path / 'data').is_dir() and not (tmp_path / 'runs').exists()
