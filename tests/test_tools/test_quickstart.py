# Copyright (c) hsjp-mmpose contributors.
"""The quickstart's report helpers, its command line, and one tiny end-to-end run."""
import json

import pytest

from hsjp_mmpose.quickstart import (PRETRAIN_CONFIG, Quickstart, QuickstartSettings,
                                    format_report, jigsaw_options, parse_test_metrics,
                                    plot_val_curves, read_val_scalars)

TEST_LINE = ('11/21 09:08:01 - mmengine - INFO - Epoch(test) [10/10]    coco/AP: 0.251234  '
             'coco/AP .5: 0.612000  coco/AP .75: 0.150000  coco/AP (M): -1.000000  '
             'coco/AR: 0.300000  data_time: 0.02  time: 0.13')


def test_parse_test_metrics():
    metrics = parse_test_metrics('noise\n' + TEST_LINE + '\n')
    assert metrics['coco/AP'] == pytest.approx(0.251234)
    assert metrics['coco/AP .5'] == pytest.approx(0.612)
    assert metrics['coco/AP (M)'] == -1.0
    assert 'data_time' not in metrics
    assert parse_test_metrics('no test line') == {}


def test_read_val_scalars(tmp_path):
    vis = tmp_path / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in [
        {'lr': 1e-3, 'loss': 0.1, 'step': 13},
        {'coco/AP': 0.1, 'step': 1},
        {'coco/AP': 0.2, 'step': 2}]))
    assert [r['step'] for r in read_val_scalars(tmp_path)] == [1, 2]
    assert read_val_scalars(tmp_path / 'missing') == []


def test_jigsaw_options_match_the_config():
    from mmengine.config import Config
    cfg = Config.fromfile(str(PRETRAIN_CONFIG))
    options = dict(o.split('=', 1) for o in jigsaw_options((2, 2), 6))
    cfg.merge_from_dict({k: eval(v) for k, v in options.items()})
    assert cfg.train_dataloader.dataset.pipeline[5].type == 'RandomJigsaw'
    assert cfg.train_dataloader.dataset.pipeline[5].grid == (2, 2)
    assert cfg.train_dataloader.dataset.pipeline[5].patch_jitter == 6
    assert cfg.train_dataloader.dataset.pipeline[6].encoder.grid == (2, 2)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.pipeline[3].type == 'RandomJigsaw'
        assert loader.dataset.pipeline[3].grid == (2, 2)
        assert loader.dataset.jigsaw_grid == (2, 2)
    assert cfg.model.head.out_channels == 4 and cfg.model.head.decoder.grid == (2, 2)
    assert cfg.val_evaluator.grid == (2, 2)


def _fake_results():
    run = lambda init, ap, secs: dict(  # noqa: E731
        init=init, epochs=8, train_seconds=secs,
        test={'coco/AP': ap, 'coco/AP .5': 0.5, 'coco/AP .75': 0.1, 'coco/AR': 0.3},
        val_per_epoch=[{'coco/AP': ap / 2, 'step': 1}, {'coco/AP': ap, 'step': 2}])
    return dict(settings=vars(QuickstartSettings()) | dict(jigsaw_grid=(4, 3)), runs=dict(
        hsjp_pretrain=dict(train_seconds=100., jigsaw={'jigsaw/patch_accuracy': 0.4,
                                                       'jigsaw/puzzle_accuracy': 0.01},
                           val_per_epoch=[]),
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


def test_cli_rejects_bad_arguments(capsys):
    from tools.quickstart import parse_args
    with pytest.raises(SystemExit):
        parse_args(['--num-labelled', '0'])
    assert '--num-labelled must be >= 1' in capsys.readouterr().err
    assert parse_args(['--grid', '2', '2']).grid == [2, 2]


@pytest.mark.integration
def test_tiny_quickstart_end_to_end(tmp_path):
    settings = QuickstartSettings(num_train=16, num_val=6, num_labelled=8, pretrain_epochs=1,
                                  finetune_epochs=1, jigsaw_grid=(2, 2), patch_jitter=2,
                                  extra_pretrain_options=['train_dataloader.batch_size=8'],
                                  extra_finetune_options=['train_dataloader.batch_size=8'])
    lines = []
    results = Quickstart(tmp_path, settings, log=lines.append).run()
    assert set(results['runs']) == {'hsjp_pretrain', 'finetune_hsjp', 'finetune_scratch'}
    for name in ('finetune_hsjp', 'finetune_scratch'):
        assert 'coco/AP' in results['runs'][name]['test']
        assert results['runs'][name]['val_per_epoch']
    assert 'jigsaw/patch_accuracy' in results['runs']['hsjp_pretrain']['jigsaw']
    for name in ('results.md', 'results.json', 'val_ap_per_epoch.png'):
        assert (tmp_path / name).is_file()
    assert any('Epoch(train)' in line for line in lines)  # progress is visible
