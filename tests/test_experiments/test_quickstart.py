# Copyright (c) hsjp-mmpose contributors.
"""The quickstart's settings, report, plot and command line, and one tiny end-to-end run
(the overrides it builds are tested in test_options.py)."""
import json
from pathlib import Path

import pytest

from hsjp_mmpose.experiments.quickstart import (Quickstart, QuickstartSettings, format_report,
                                                plot_val_curves)


@pytest.mark.parametrize('kwargs, match', [
    (dict(jigsaw_grid=(3, 3)), 'rows can be'),
    (dict(patch_jitter=48), 'patch_jitter'),  # cells of 64x48 pixels
    (dict(num_labelled=0), 'num_labelled'),
    (dict(transfer='head'), 'transfer'),
    (dict(data_level='extreme'), 'easy, medium, hard'),
    (dict(num_train=3000, num_labelled=5000), r'num_labelled is 5000.*num_train \(3000\)'),
    (dict(num_train=10, max_people=2, num_labelled=21), r'max_people \(2\).*\(20\)'),
])
def test_settings_are_checked_before_any_work(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        Quickstart(tmp_path / 'q', QuickstartSettings(**kwargs))
    assert not (tmp_path / 'q').exists()


def test_more_labelled_people_than_generated_is_refused_before_training(tmp_path):
    """The settings allow up to 3 people in each of 4 images; the generated images hold
    fewer, which is found after generating the data and before any training."""
    settings = QuickstartSettings(num_train=4, num_val=2, num_labelled=12, max_people=3)
    lines = []
    with pytest.raises(ValueError, match=r'num_labelled is 12.*holds only \d+ labelled'):
        Quickstart(tmp_path, settings, log=lines.append).run()
    assert (tmp_path / 'data').is_dir() and not (tmp_path / 'runs').exists()
    assert not any('train_' in line for line in lines)


def _records(*values):
    return [dict(epoch=e, iter=13 * e, elapsed_s=3. * e, metrics={'coco/AP': v})
            for e, v in enumerate(values, 1)]


def _fake_results():
    run = lambda init, ap, secs: dict(  # noqa: E731
        init=init, epochs=8, train_seconds=secs,
        test={'coco/AP': ap, 'coco/AP .5': 0.5, 'coco/AP .75': 0.1, 'coco/AR': 0.3},
        convergence=_records(ap / 2, ap))
    jigsaw = {'jigsaw/patch_accuracy': 0.4, 'jigsaw/puzzle_accuracy': 0.01}
    return dict(settings=vars(QuickstartSettings()) | dict(jigsaw_grid=(4, 3)), runs=dict(
        hsjp_pretrain=dict(train_seconds=100., jigsaw=jigsaw,
                           convergence=[dict(epoch=4, iter=40, elapsed_s=9., metrics=jigsaw)]),
        finetune_hsjp=run('hsjp', 0.25, 50.), finetune_scratch=run('scratch', 0.2, 50.)),
        total_seconds=300.)


def test_format_report_and_plot(tmp_path):
    text = format_report(_fake_results())
    assert '| HSJP + fine-tune | hsjp | 8 | 25.0 |' in text
    assert '| scratch | scratch | 8 | 20.0 |' in text
    assert 'HSJP minus scratch at equal fine-tuning epochs: +5.0 AP.' in text
    assert 'patch accuracy 0.400' in text
    plot_val_curves(_fake_results(), tmp_path / 'curves.png')
    assert (tmp_path / 'curves.png').stat().st_size > 1000
    with pytest.raises(ValueError, match='at least one run'):  # no AP curve at all
        plot_val_curves(dict(runs=dict(hsjp_pretrain=_fake_results()['runs']['hsjp_pretrain'])),
                        tmp_path / 'none.png')


def test_cli_rejects_bad_arguments(capsys):
    from tools.quickstart import parse_args
    with pytest.raises(SystemExit):
        parse_args(['--num-labelled', '0'])
    assert '--num-labelled must be an integer >= 1' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(['--grid', '3', '3'])
    err = capsys.readouterr().err
    assert '--grid' in err and 'rows can be [1, 2, 4, 8]' in err
    assert parse_args(['--grid', '2', '2']).settings.jigsaw_grid == (2, 2)
    with pytest.raises(SystemExit):  # refused before any work starts
        parse_args(['--num-labelled', '5000', '--num-train', '3000'])
    err = capsys.readouterr().err
    assert '--num-labelled is 5000' in err and '--num-train (3000)' in err


def test_cli_refuses_too_few_generated_people_before_training(tmp_path, capsys):
    from tools.quickstart import main
    with pytest.raises(SystemExit) as stop:
        main(['--work-dir', str(tmp_path), '--num-train', '4', '--num-val', '2',
              '--max-people', '3', '--num-labelled', '12'])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert '--num-labelled is 12' in err and 'Traceback' not in err
    assert not (tmp_path / 'runs').exists()


@pytest.mark.integration
def test_tiny_quickstart_end_to_end(tmp_path):
    settings = QuickstartSettings(num_train=16, num_val=6, num_labelled=8, pretrain_epochs=1,
                                  finetune_epochs=1, jigsaw_grid=(2, 2), patch_jitter=2,
                                  extra_pretrain_options=['train_dataloader.batch_size=8'],
                                  extra_finetune_options=['train_dataloader.batch_size=8'])
    lines = []
    results = Quickstart(tmp_path, settings, log=lines.append).run()
    assert set(results['runs']) == {'hsjp_pretrain', 'finetune_hsjp', 'finetune_scratch',
                                    'scratch_equal_compute'}
    for name in ('finetune_hsjp', 'finetune_scratch', 'scratch_equal_compute'):
        run = results['runs'][name]
        assert 'coco/AP' in run['test']
        # the equal-compute arm's length follows the measured times: >= 1 epoch, validated last
        assert run['epochs'] == 1 or name == 'scratch_equal_compute'
        assert [r['epoch'] for r in run['convergence']][-1] == run['epochs'] >= 1
        assert 'coco/AP' in run['convergence'][-1]['metrics']
    assert 'jigsaw/patch_accuracy' in results['runs']['hsjp_pretrain']['jigsaw']
    saved = json.loads((tmp_path / 'results.json').read_text())
    assert saved['runs']['finetune_scratch']['convergence'] == \
        results['runs']['finetune_scratch']['convergence']
    for name in ('results.md', 'results.json', 'val_ap_per_epoch.png'):
        assert (tmp_path / name).is_file()
    assert any('Epoch(train)' in line for line in lines)  # progress is visible
    assert any('120/120 tensors loaded' in line for line in
               (tmp_path / 'logs/train_finetune_hsjp.log').read_text().splitlines())
    # a second run finds every arm finished and only writes the report again
    again = Quickstart(tmp_path, settings, log=lines.append).run()
    assert again['runs']['finetune_hsjp']['test'] == results['runs']['finetune_hsjp']['test']


# ------------------------------------------------------------------ per data set
def test_settings_for_lsp_extended_take_its_defaults_and_an_explicit_value_wins():
    s = QuickstartSettings.for_dataset(dataset='lsp-extended', data_root='/lsp')
    assert (s.dataset, s.data_root) == ('lsp-extended', '/lsp')
    assert (s.num_labelled, s.pretrain_epochs, s.finetune_epochs, s.val_interval,
            s.pretrain_val_interval) == (500, 6, 40, 8, 6)
    assert s.jigsaw_grid == (2, 2) and s.transfer == 'whole'  # the class defaults
    s = QuickstartSettings.for_dataset(dataset='lsp-extended', data_root='/lsp',
                                       num_labelled=300, val_interval=4)
    assert s.num_labelled == 300 and s.val_interval == 4 and s.finetune_epochs == 40
    # the generated people's defaults are the class's own
    assert QuickstartSettings.for_dataset() == QuickstartSettings()
    assert QuickstartSettings.for_dataset(dataset='generated', num_labelled=7) == \
        QuickstartSettings(num_labelled=7)


def test_lsp_settings_are_checked_against_its_split_and_input():
    from hsjp_mmpose.experiments.quickstart import check_settings

    def lsp(**values):
        return QuickstartSettings.for_dataset(dataset='lsp-extended', data_root='/lsp',
                                              **values)

    check_settings(lsp(num_labelled=8000))  # the whole training split
    with pytest.raises(ValueError, match=r'num_labelled is 9000, more people than the LSP '
                                         r'Extended \(real photos\) training split holds '
                                         r'\(8000\)'):
        check_settings(lsp(num_labelled=9000))
    # LSP's crops are 128 x 128: neither 3 rows nor 3 columns
    with pytest.raises(ValueError, match=r"input is 128x128 \(w x h\): rows can be \[1, 2, 4, "
                                         r"8\], columns \[1, 2, 4, 8\]"):
        check_settings(lsp(jigsaw_grid=(3, 3)))
    # 3 columns divide the generated people's 96-pixel width, not LSP's 128
    check_settings(QuickstartSettings(jigsaw_grid=(2, 3)))
    with pytest.raises(ValueError, match=r'columns \[1, 2, 4, 8\]'):
        check_settings(lsp(jigsaw_grid=(2, 3)))
    # the generated people's limits do not apply to a real data set
    check_settings(lsp(num_labelled=5000, num_train=10, data_level='any'))


def test_lsp_quickstart_refuses_before_any_work(tmp_path, lsp_extended_dir):
    settings = QuickstartSettings.for_dataset(dataset='lsp-extended',
                                              data_root=str(lsp_extended_dir))
    quickstart = Quickstart(tmp_path / 'ok', settings)  # the published folder passes
    assert quickstart.source.name == 'lsp-extended' and not (tmp_path / 'ok').exists()
    with pytest.raises(ValueError, match='num_labelled is 9000'):
        Quickstart(tmp_path / 'q', QuickstartSettings.for_dataset(
            dataset='lsp-extended', data_root=str(lsp_extended_dir), num_labelled=9000))
    with pytest.raises(ValueError, match=r'joints\.mat not found'):
        Quickstart(tmp_path / 'q', QuickstartSettings.for_dataset(
            dataset='lsp-extended', data_root=str(tmp_path)))
    with pytest.raises(ValueError, match='needs --data-root'):
        Quickstart(tmp_path / 'q', QuickstartSettings(dataset='lsp-extended'))
    assert not (tmp_path / 'q').exists()


@pytest.mark.integration
def test_tiny_quickstart_on_lsp_extended(lsp_extended_dir, tmp_path):
    """The real-photo quickstart end to end on a few LSP Extended people: converted once,
    ranked by PCK@0.2 of the torso on the test split, pictures from the photos."""
    small = ['train_dataloader.batch_size=8', 'val_dataloader.dataset.indices=8',
             'test_dataloader.dataset.indices=8']
    settings = QuickstartSettings.for_dataset(
        dataset='lsp-extended', data_root=str(lsp_extended_dir), num_labelled=8,
        pretrain_epochs=1, finetune_epochs=1, val_interval=1, pretrain_val_interval=1,
        pictures=1, extra_pretrain_options=small + ['train_dataloader.dataset.indices=16'],
        extra_finetune_options=small)
    results = Quickstart(tmp_path, settings, log=lambda line: None).run()
    for name in ('finetune_hsjp', 'finetune_scratch', 'scratch_equal_compute'):
        test = results['runs'][name]['test']
        assert 0 <= test['tPCK'] <= 1 and 'PCK' in test, (name, test)
        assert 'tPCK' in results['runs'][name]['convergence'][-1]['metrics']
    text = (tmp_path / 'results.md').read_text()
    assert text.startswith('# HSJP quickstart on LSP Extended (real photos)')
    assert 'PCK@0.2 (torso)' in text and 'the test split' in text
    pictures = results['pictures']
    assert len(pictures['puzzles']) == len(pictures['heatmaps']) == \
        len(pictures['skeletons']) == 1
    assert all(Path(p).is_file() for paths in pictures.values() for p in paths)
    assert (tmp_path / 'data' / 'lsp-extended' / 'annotations' / 'lspet_test.json').is_file()
