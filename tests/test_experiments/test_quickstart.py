# Copyright (c) hsjp-mmpose contributors.
"""The quickstart's report helpers, its command line, and one tiny end-to-end run."""
import json

import pytest

from hsjp_mmpose.experiments.quickstart import (FINETUNE_CONFIGS, PRETRAIN_CONFIG, Quickstart,
                                    QuickstartSettings, check_settings, format_report,
                                    init_options, jigsaw_options, plot_val_curves)

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


@pytest.mark.parametrize('transfer', ['whole', 'backbone'])
def test_init_options_load_what_transfer_says(transfer, tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(str(FINETUNE_CONFIGS['hsjp']))
    options = dict(o.split('=', 1) for o in init_options(tmp_path, transfer))
    cfg.merge_from_dict({k: None if v == 'None' else v for k, v in options.items()})
    ckpt = str(tmp_path / 'transfer.pth')
    assert cfg.model.backbone.init_cfg.checkpoint == ckpt
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    if transfer == 'backbone':
        assert cfg.model.head.init_cfg is None
    else:
        pretrained, = [c for c in cfg.model.head.init_cfg if c['type'] == 'Pretrained']
        assert pretrained.checkpoint == ckpt and pretrained.prefix == 'head.'


@pytest.mark.parametrize('kwargs, match', [
    (dict(jigsaw_grid=(3, 3)), 'rows can be'),
    (dict(patch_jitter=48), 'patch_jitter'),  # cells of 64x48 pixels
    (dict(num_labelled=0), 'num_labelled'),
    (dict(transfer='head'), 'transfer'),
    (dict(data_level='extreme'), 'easy, medium, hard'),
])
def test_settings_are_checked_before_any_work(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        Quickstart(tmp_path / 'q', QuickstartSettings(**kwargs))
    assert not (tmp_path / 'q').exists()


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
    assert '--num-labelled must be an integer >= 1' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(['--grid', '3', '3'])
    err = capsys.readouterr().err
    assert '--grid' in err and 'rows can be [1, 2, 4, 8]' in err
    assert parse_args(['--grid', '2', '2']).settings.jigsaw_grid == (2, 2)


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
        assert 'coco/AP' in results['runs'][name]['test']
        assert results['runs'][name]['val_per_epoch']
    assert 'jigsaw/patch_accuracy' in results['runs']['hsjp_pretrain']['jigsaw']
    for name in ('results.md', 'results.json', 'val_ap_per_epoch.png'):
        assert (tmp_path / name).is_file()
    assert any('Epoch(train)' in line for line in lines)  # progress is visible
    assert any('120/120 tensors loaded' in line for line in
               (tmp_path / 'logs/train_finetune_hsjp.log').read_text().splitlines())
    # a second run finds every arm finished and only writes the report again
    again = Quickstart(tmp_path, settings, log=lines.append).run()
    assert again['runs']['finetune_hsjp']['test'] == results['runs']['finetune_hsjp']['test']
