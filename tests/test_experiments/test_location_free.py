# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
from mmengine.config import Config

from hsjp_mmpose.experiments.location_free import (ARMS, CONFIG_DIR, LOCATED_ONLY,
                                                 PRESENCE_OFF, arm_options,
                                                 format_side_table, format_table,
                                                 limb_side_accuracy, one_side_rates,
                                                 presence_statistics, side_metrics,
                                                 summary_lines)


def _row(name, labels, ap):
    return {'name': name, 'labels': labels, 'coco/AP': ap, 'coco/AP .5': ap + 0.1,
            'PCK': ap + 0.2, 'train_s': 12.3}


def _apply(config, options):
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({k: eval(v) if v[0].isdigit() else v
                         for k, v in (o.split('=', 1) for o in options)})
    return cfg


@pytest.mark.parametrize('arm', ARMS, ids=lambda a: a.config)
def test_arm_options_set_budget_data_and_seed(arm):
    cfg = _apply(CONFIG_DIR / arm.config, arm_options(str(CONFIG_DIR / arm.config),
                                                      '/data/people', epochs=3, seed=7))
    assert cfg.train_cfg.max_epochs == 3 and cfg.train_cfg.val_interval == 3
    assert cfg.randomness.seed == 7
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.data_root == '/data/people/'
    epoch_scheds = [s for s in cfg.param_scheduler if s.get('by_epoch', True)]
    assert all(s.get('T_max', 3) == 3 and s.get('end', 3) == 3 for s in epoch_scheds)


def test_every_arm_has_the_same_budget_and_data():
    cfgs = [Config.fromfile(str(CONFIG_DIR / a.config)) for a in ARMS]
    for cfg in cfgs[1:]:
        assert cfg.train_cfg == cfgs[0].train_cfg
        assert cfg.optim_wrapper == cfgs[0].optim_wrapper
        assert cfg.param_scheduler == cfgs[0].param_scheduler
        assert cfg.train_dataloader.batch_size == cfgs[0].train_dataloader.batch_size
        assert cfg.val_dataloader == cfgs[0].val_dataloader
        assert cfg.val_evaluator == cfgs[0].val_evaluator
        # the same augmentation, the labels aside
        steps = [s.type for s in cfg.train_dataloader.dataset.pipeline
                 if s.type not in ('GeneratePresenceLabels', 'SelectLocationLabels',
                                   'GenerateRegionPresenceLabels')]
        assert steps == [s.type for s in cfgs[0].train_dataloader.dataset.pipeline]


def test_arms_have_distinct_runs_and_the_25_percent_baselines():
    assert len({a.key for a in ARMS}) == len(ARMS)
    labels = [(a.name, a.labels) for a in ARMS]
    assert ('LocationFreeHead', PRESENCE_OFF) in labels
    assert ('HeatmapHead', LOCATED_ONLY) in labels


def test_baselines_share_the_25_percent_batches_and_drop_only_the_weak_losses():
    by_labels = {a.labels: Config.fromfile(str(CONFIG_DIR / a.config)) for a in ARMS
                 if a.labels.startswith('25%')}
    part, off, alone = by_labels['25%'], by_labels[PRESENCE_OFF], by_labels[LOCATED_ONLY]
    for cfg in (off, alone):
        assert cfg.train_dataloader.sampler == part.train_dataloader.sampler
        assert [s for s in cfg.train_dataloader.dataset.pipeline
                if s.type == 'SelectLocationLabels'] == \
            [s for s in part.train_dataloader.dataset.pipeline
             if s.type == 'SelectLocationLabels']
    assert part.model.head.presence_cfg.region_loss.type == 'RegionPresenceLoss'
    assert off.model.head.presence_cfg.loss.loss_weight == 0
    assert off.model.head.presence_cfg.part_loss is None
    assert off.model.head.presence_cfg.region_loss is None
    assert alone.model.head.type == 'HeatmapHead'


def test_side_metrics_read_the_last_test_line():
    log = ('12/01 mmengine - INFO - Epoch(test) [1/1]  coco/AP: 0.1  left_right/wrist: 0.5\n'
           '12/01 mmengine - INFO - Epoch(test) [2/2]  coco/AP: 0.279459  PCK: 0.9  '
           'left_right/wrist: 0.931559  left_right/min_limbs: 0.838983  '
           'left_right_2px/hip: 0.848889  peaks/places: 14.063333  peaks/places_gt: 15.56  '
           'data_time: 0.02\n')
    assert side_metrics(log) == {'left_right/wrist': 0.931559,
                                 'left_right/min_limbs': 0.838983,
                                 'left_right_2px/hip': 0.848889, 'peaks/places': 14.063333,
                                 'peaks/places_gt': 15.56}
    assert side_metrics('no test line') == {}


def _sides(value, hip=0.85):
    row = {f'left_right/{p}': value for p in ('shoulder', 'elbow', 'wrist', 'knee', 'ankle')}
    row.update({f'left_right_2px/{p}': value - 0.01
                for p in ('shoulder', 'elbow', 'wrist', 'knee', 'ankle')})
    row['left_right_2px/hip'] = hip
    return row


def test_limb_side_accuracy_reads_hips_at_2_px():
    sides = limb_side_accuracy(_sides(0.9, hip=0.7))
    assert sides == dict(shoulder=0.9, elbow=0.9, wrist=0.9, hip=0.7, knee=0.9, ankle=0.9)
    assert limb_side_accuracy({}) == {}


def test_table_and_target_lines():
    rows = [_row('HeatmapHead', '100%', 0.5),
            dict(_row('LocationFreeHead', '0% (weak only)', 0.6), **_sides(0.9),
                 **{'peaks/places': 14.5, 'peaks/places_gt': 15.56}),
            _row('LocationFreeHead', '25%', 0.45),
            _row('LocationFreeHead', PRESENCE_OFF, 0.43),
            _row('HeatmapHead', LOCATED_ONLY, 0.40),
            _row('LocationFreeHead', '100%', 0.48)]
    table = format_table(rows)
    assert table.count('\n') == 7
    assert '| LocationFreeHead | 25% | 45.0 | 55.0 | 0.650 | - | 12 |' in table
    assert '| 60.0 | 70.0 | 0.800 | 14.50 (15.56) | 12 |' in table
    sides = format_side_table(rows)
    assert '| head | location labels | shoulder | elbow | wrist | hip | knee | ankle |' in sides
    assert '| 0.90 / 0.89 | 0.90 / 0.89 | 0.90 / 0.89 | - / 0.85 | 0.90 / 0.89 |' in sides
    lines = summary_lines(rows)
    assert lines[0] == ('100% LocationFreeHead >= 100% HeatmapHead: AP 48.0 against 50.0 '
                        '(not met)')
    assert lines[1] == ('25% with presence labels / presence losses off: AP 45.0 against '
                        '43.0, +2.0 (target >= +3.0: not met)')
    assert lines[2] == ('25% LocationFreeHead / HeatmapHead on the located 25% alone: AP '
                        '45.0 against 40.0, +5.0 (target >= +3.0: met)')
    assert 'AP ratio 0.94 (target >= 0.90: met); PCK@0.2 ratio 0.96' in lines[3]
    assert lines[4] == ('weak only: AP 60.0, PCK@0.2 0.800 (target >= 0.75: met); '
                        'left/right lowest on the limbs 0.85 (hip; 4 px, hips at 2 px; '
                        'target >= 0.80 on every pair: met); 14.50 distinct peak places per '
                        'person (true 15.56; target >= 15: not met)')


def test_ratio_is_not_claimed_when_the_reference_ap_is_near_zero():
    rows = [_row('LocationFreeHead', '25%', 0.0), _row('LocationFreeHead', '100%', 0.0001)]
    line = summary_lines(rows)[0]
    assert 'AP ratio not meaningful' in line and 'met' not in line
    assert 'PCK@0.2 ratio 1.00' in line  # 0.2 / 0.2001


def test_presence_varies_in_training_samples(synthetic_coco):
    weak = next(a for a in ARMS if a.labels.startswith('0%'))
    absent = presence_statistics(str(CONFIG_DIR / weak.config), synthetic_coco,
                                 num_samples=40)
    assert len(absent) == 17 and all(0 <= v <= 1 for v in absent.values())
    # every keypoint is sometimes taken out of view, none always
    assert min(absent.values()) > 0.05 and max(absent.values()) < 0.9, absent


def test_one_side_rates_count_pairs_with_exactly_one_present():
    metainfo = dict(keypoint_id2name={0: 'nose', 1: 'left_eye', 2: 'right_eye',
                                      3: 'left_knee', 4: 'right_knee'},
                    flip_indices=[0, 2, 1, 4, 3])
    presence = np.array([[1, 1, 0, 1, 1],
                         [1, 0, 0, 0, 1],
                         [0, 1, 1, 1, 0],
                         [1, 0, 1, 1, 1]], dtype=float)
    assert one_side_rates(presence, metainfo) == {'eye': 0.5, 'knee': 0.5}


@pytest.mark.integration
def test_tiny_benchmark_end_to_end(tmp_path):
    """All six arms through mim train / mim test on a few generated people, one epoch:
    the table, the targets' lines, both presence tables and the CAM pictures."""
    import json

    from hsjp_mmpose.experiments.location_free import run_benchmark
    work = tmp_path / 'lf'
    rows = run_benchmark(str(work), num_train=16, num_val=8, epochs=1, cam_images=1)
    assert [(r['name'], r['labels']) for r in rows] == [(a.name, a.labels) for a in ARMS]
    assert all(0 <= r['coco/AP'] <= 1 and 0 <= r['PCK'] <= 1 for r in rows)
    text = (work / 'results.md').read_text()
    assert '| HeatmapHead | 100% |' in text and 'weak only: AP' in text
    assert '| head | location labels | shoulder | elbow | wrist | hip | knee | ankle |' in text
    assert all('peaks/places' in r and 'left_right_2px/wrist' in r for r in rows)
    assert 'exactly one keypoint of a left/right pair' in text and '| eye | ear |' in text
    saved = json.loads((work / 'results.json').read_text())
    assert set(saved['one_side_present']) == {'eye', 'ear', 'shoulder', 'elbow', 'wrist',
                                              'hip', 'knee', 'ankle'}
    assert len(list((work / 'cams').iterdir())) == 1
