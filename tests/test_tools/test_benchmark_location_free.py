# Copyright (c) hsjp-mmpose contributors.
"""tools/benchmark_location_free.py: its arguments, and settings refused before any work."""
import pytest

from tools import benchmark_location_free as tool


def test_defaults():
    args = tool.parse_args([])
    assert vars(args) == dict(work_dir='work_dirs/locfree_benchmark', dataset='generated',
                              data_root=None, num_train=2000, num_val=300, level='easy',
                              num_people=None, epochs=None, pretrain_epochs=3, seed=0)


def test_lsp_extended_trains_on_2000_people_by_default():
    args = tool.parse_args(['--dataset', 'lsp-extended', '--data-root', '/lsp'])
    assert tool.LSP_NUM_PEOPLE == 2000 and args.num_people == 2000
    assert args.data_root == '/lsp'
    args = tool.parse_args(['--dataset', 'lsp-extended', '--data-root', '/lsp',
                            '--num-people', '800', '--epochs', '2', '--pretrain-epochs', '1',
                            '--seed', '4', '--work-dir', 'w'])
    assert (args.num_people, args.epochs, args.pretrain_epochs, args.seed, args.work_dir) == \
        (800, 2, 1, 4, 'w')
    # the generated people: every person unless told
    assert tool.parse_args(['--num-people', '50']).num_people == 50


@pytest.mark.parametrize('argv,option', [
    (['--num-train', '0'], '--num-train'),
    (['--num-val', '-1'], '--num-val'),
    (['--pretrain-epochs', '0'], '--pretrain-epochs'),
    (['--epochs', '0'], '--epochs'),
    (['--num-people', '0'], '--num-people'),
    (['--num-people', '-5', '--dataset', 'lsp-extended', '--data-root', '/lsp'],
     '--num-people'),
    (['--num-people', 'many'], '--num-people'),
    (['--epochs', '1.5'], '--epochs'),
    (['--level', 'impossible'], '--level'),
    (['--dataset', 'coco'], '--dataset'),
])
def test_bad_values_exit_2_naming_the_option(argv, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(argv)
    assert exit_info.value.code == 2
    assert option in capsys.readouterr().err


def test_main_passes_the_settings(monkeypatch):
    calls = []
    monkeypatch.setattr(tool, 'run_benchmark', lambda *a, **k: calls.append((a, k)) or [])
    tool.main(['--dataset', 'lsp-extended', '--data-root', '/lsp', '--work-dir', 'w',
               '--epochs', '2'])
    (args, kwargs), = calls
    assert args == ('w', )
    assert kwargs == dict(num_train=2000, num_val=300, epochs=2, seed=0, level='easy',
                          dataset='lsp-extended', data_root='/lsp', num_people=2000,
                          pretrain_epochs=3)


@pytest.mark.parametrize('argv,option', [
    (['--data-root', '/lsp'], '--data-root'),  # generated people take no data root
    (['--dataset', 'lsp-extended'], '--data-root'),
    (['--dataset', 'lsp-extended', '--data-root', '{missing}'], 'joints.mat'),
    (['--dataset', 'lsp-extended', '--data-root', '/lsp', '--num-people', '8001'],
     '--num-people 8001'),
    (['--num-train', '10', '--num-people', '11'], '--num-people 11'),
])
def test_settings_refused_before_any_work_exit_2(argv, option, tmp_path, capsys):
    work = tmp_path / 'work'
    argv = [a.format(missing=tmp_path / 'missing') for a in argv]
    with pytest.raises(SystemExit) as exit_info:
        tool.main(argv + ['--work-dir', str(work)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('benchmark_location_free: error: ') and option in err, err
    assert not work.exists()
