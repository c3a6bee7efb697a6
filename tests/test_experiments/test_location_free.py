# Copyright (c) hsjp-mmpose contributors.
import json

import numpy as np
import pytest
from mmengine.config import Config

from hsjp_mmpose.datasets.converters import lsp
from hsjp_mmpose.experiments.data_sources import (COCO_AP, TORSO_PCK, DataFiles,
                                                  GeneratedPeople, LspExtended, PreparedData)
from hsjp_mmpose.experiments.location_free import (
    ARMS, ARMS_BY_DATASET, BOX_LABELS, IMAGE_LEVEL, LOCATED_ONLY, PART_BOX_LABELS, PART_HSJP,
    PART_IMAGE_LEVEL, PRESENCE_OFF, LocationFreeArm, arm_options, format_side_table,
    format_table, limb_side_accuracy, one_side_rates, presence_matrix, presence_statistics,
    side_metrics, summary_lines)
from hsjp_mmpose.visualization.pictures import config_with_options
from tests.test_datasets.lsp_helpers import converted_lspet_photos, photo_splits

GENERATED, LSP = GeneratedPeople(), LspExtended(data_root='unused')
SOURCES = {GENERATED.name: GENERATED, LSP.name: LSP}
SOURCE_ARMS = [(source, arm) for source in SOURCES for arm in ARMS_BY_DATASET[source]]
#: the label steps, which differ between arms by design
LABEL_STEPS = ('GeneratePresenceLabels', 'SelectLocationLabels', 'GenerateRegionPresenceLabels')
#: the steps that place parts out of view by looking at the keypoints
KEYPOINT_PLACED = ('RandomHalfBody', )
LSP_PEOPLE = photo_splits(24, 3, 3)


def _row(name, labels, ap, **more):
    return {'name': name, 'labels': labels, 'coco/AP': ap, 'coco/AP .5': ap + 0.1,
            'PCK': ap + 0.2, 'train_s': 12.3, **more}


def _cfg(source, arm) -> Config:
    return Config.fromfile(str(SOURCES[source].config(arm.role)))


def _arm(source, labels, name='LocationFreeHead') -> LocationFreeArm:
    return next(a for a in ARMS_BY_DATASET[source] if (a.name, a.labels) == (name, labels))


def _augmentation(cfg):
    """The training pipeline without its label steps."""
    return [s.to_dict() for s in cfg.train_dataloader.dataset.pipeline
            if s.type not in LABEL_STEPS]


def _location_agnostic(steps):
    """The box-label family's augmentation as the image-level arms have it: no half-body
    crops, erasing anywhere."""
    return [dict(s, anchor='random') if s['type'] == 'RandomKeypointErasing' else s
            for s in steps if s['type'] not in KEYPOINT_PLACED]


def _prepared(root='/data/lsp'):
    def files(split):
        return DataFiles(root, f'annotations/lspet_{split}.json', 'images/')
    return PreparedData(train=files('train'), val=files('val'), test=files('test'))


@pytest.fixture(scope='module')
def lsp_data(tmp_path_factory) -> PreparedData:
    """24 training, 3 val and 3 test people of a hand-made LSP Extended folder, converted."""
    root = converted_lspet_photos(tmp_path_factory.mktemp('lsp_locfree'), LSP_PEOPLE)
    return _prepared(str(root))


# --------------------------------------------------------------------------- the arms
def test_arms_of_each_source():
    assert ARMS == ARMS_BY_DATASET['generated']
    for source, arms in ARMS_BY_DATASET.items():
        assert len({a.key for a in arms}) == len(arms), source
        assert len({(a.name, a.labels) for a in arms}) == len(arms), source
        assert all(a.role == f'locfree/{a.key}' and SOURCES[source].has(a.role) for a in arms)
        labels = {(a.name, a.labels) for a in arms}
        for wanted in (('HeatmapHead', '100%'), ('LocationFreeHead', IMAGE_LEVEL),
                       ('LocationFreeHead', BOX_LABELS), ('LocationFreeHead', PART_IMAGE_LEVEL),
                       ('LocationFreeHead', PART_BOX_LABELS),
                       ('LocationFreeHead', PRESENCE_OFF), ('HeatmapHead', LOCATED_ONLY),
                       ('LocationFreeHead', '100%')):
            assert wanted in labels, (source, wanted)
    # on generated people the box-label arms keep the run keys of the earlier weak-only
    # and 25% arms (a benchmark started before resumes them); no HSJP arm there
    keys = {a.labels: a.key for a in ARMS if a.name == 'LocationFreeHead'}
    assert keys[BOX_LABELS] == 'LocationFreeHead_0' and keys[PART_BOX_LABELS] == \
        'LocationFreeHead_25' and keys['100%'] == 'LocationFreeHead_100'
    assert [a.init for a in ARMS] == [None] * len(ARMS)
    hsjp = [a for a in ARMS_BY_DATASET['lsp-extended'] if a.init]
    assert [(a.labels, a.init) for a in hsjp] == [(PART_HSJP, 'hsjp')]
    assert LocationFreeArm('HeatmapHead', '25% (x)').key == 'HeatmapHead_25'


@pytest.mark.parametrize('source,arm', SOURCE_ARMS, ids=lambda x: getattr(x, 'key', x))
def test_arm_options_set_budget_data_and_seed(source, arm):
    config = SOURCES[source].config(arm.role)
    data = '/data/people' if source == 'generated' else _prepared()
    options = arm_options(str(config), data, epochs=3, seed=7, num_people=5)
    cfg = config_with_options(config, options)
    assert cfg.train_cfg.max_epochs == 3 and cfg.train_cfg.val_interval == 3
    assert cfg.default_hooks.checkpoint.interval == 3
    assert cfg.randomness.seed == 7
    assert cfg.train_dataloader.dataset.indices == 5
    root = '/data/people/' if source == 'generated' else '/data/lsp/'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.data_root == root
    if source != 'generated':
        assert [cfg[f'{s}_dataloader'].dataset.ann_file for s in ('train', 'val', 'test')] == \
            [f'annotations/lspet_{s}.json' for s in ('train', 'val', 'test')]
    epoch_scheds = [s for s in cfg.param_scheduler if s.get('by_epoch', True)]
    assert all(s.get('T_max', 3) == 3 and s.get('end', 3) == 3 for s in epoch_scheds)
    # the config's own budget and every person by default
    cfg = config_with_options(config, arm_options(str(config), data))
    assert cfg.train_cfg.max_epochs == 12 and 'indices' not in cfg.train_dataloader.dataset


@pytest.mark.parametrize('source', SOURCES)
def test_every_arm_has_the_same_budget_and_data(source):
    arms = ARMS_BY_DATASET[source]
    cfgs = [_cfg(source, a) for a in arms]
    for cfg in cfgs[1:]:
        assert cfg.train_cfg == cfgs[0].train_cfg
        assert cfg.optim_wrapper == cfgs[0].optim_wrapper
        assert cfg.param_scheduler == cfgs[0].param_scheduler
        assert cfg.train_dataloader.batch_size == cfgs[0].train_dataloader.batch_size
        assert cfg.train_dataloader.dataset.ann_file == cfgs[0].train_dataloader.dataset.ann_file
        for key in ('val_dataloader', 'test_dataloader', 'val_evaluator', 'test_evaluator'):
            assert cfg[key] == cfgs[0][key], key
        assert cfg.model.backbone.depth == cfgs[0].model.backbone.depth
        assert cfg.model.backbone.base_channels == cfgs[0].model.backbone.base_channels


@pytest.mark.parametrize('source', SOURCES)
def test_augmentation_is_shared_within_each_family(source):
    """The same augmentation (the label steps aside) within each family of arms: on LSP
    Extended every arm has the image-level arms' location-agnostic augmentation (no
    half-body crops, erasing anywhere); on generated people the image-level arms have it,
    and the other arms the augmentation of the earlier benchmark (half-body crops, erasing
    near keypoints), which differs in exactly these two steps."""
    arms = ARMS_BY_DATASET[source]
    image_level = [a for a in arms if a.labels in (IMAGE_LEVEL, PART_IMAGE_LEVEL, PART_HSJP)]
    others = [a for a in arms if a not in image_level]
    agnostic = _augmentation(_cfg(source, image_level[0]))
    assert 'RandomHalfBody' not in [s['type'] for s in agnostic]
    assert [s['anchor'] for s in agnostic if s['type'] == 'RandomKeypointErasing'] == ['random']
    for arm in image_level[1:]:
        assert _augmentation(_cfg(source, arm)) == agnostic, arm.key
    reference = _augmentation(_cfg(source, others[0]))
    for arm in others[1:]:
        assert _augmentation(_cfg(source, arm)) == reference, arm.key
    if source == 'generated':
        assert reference != agnostic
        assert 'RandomHalfBody' in [s['type'] for s in reference]
        assert [s.get('anchor', 'keypoint') for s in reference
                if s['type'] == 'RandomKeypointErasing'] == ['keypoint']
        assert _location_agnostic(reference) == agnostic
    else:
        assert reference == agnostic


@pytest.mark.parametrize('source', SOURCES)
@pytest.mark.parametrize('part_labels', [PART_IMAGE_LEVEL, PART_BOX_LABELS])
def test_baselines_share_the_25_percent_batches_and_drop_only_the_weak_losses(source,
                                                                              part_labels):
    part = _cfg(source, _arm(source, part_labels))
    off = _cfg(source, _arm(source, PRESENCE_OFF))
    alone = _cfg(source, _arm(source, LOCATED_ONLY, 'HeatmapHead'))

    def select(cfg):
        return [s for s in cfg.train_dataloader.dataset.pipeline
                if s.type == 'SelectLocationLabels']

    assert select(part) and select(part)[0].fraction == 0.25
    for cfg in (off, alone):
        assert cfg.train_dataloader.sampler == part.train_dataloader.sampler
        assert cfg.train_dataloader.sampler.type == 'LocationLabelBalancedSampler'
        assert select(cfg) == select(part)
    region_loss = part.model.head.presence_cfg.get('region_loss')
    if part_labels == PART_BOX_LABELS:
        assert region_loss.type == 'RegionPresenceLoss'
        assert 'GenerateRegionPresenceLabels' in [
            s.type for s in part.train_dataloader.dataset.pipeline]
    else:
        assert region_loss is None
    assert off.model.head.presence_cfg.loss.loss_weight == 0
    assert off.model.head.presence_cfg.part_loss is None
    assert off.model.head.presence_cfg.region_loss is None
    # the same head otherwise (its score without a trained presence branch: the CAM peak)
    assert off.model.head.score_mode == 'peak'
    ignore = ('presence_cfg', 'score_mode')
    assert {k: v for k, v in off.model.head.items() if k not in ignore} == \
        {k: v for k, v in part.model.head.items() if k not in ignore}
    assert off.model.backbone == part.model.backbone
    assert alone.model.head.type == 'HeatmapHead'
    if source == 'generated' and part_labels == PART_IMAGE_LEVEL:
        # the baselines are the box-label arm's (the earlier benchmark's runs): its
        # augmentation, which differs from the image-level arm's in half-body crops and
        # where the erasing is placed (test_augmentation_is_shared_within_each_family)
        assert _location_agnostic(_augmentation(off)) == _augmentation(part)
    else:
        assert _augmentation(off) == _augmentation(alone) == _augmentation(part)


# --------------------------------------------------------------------------- the report
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


def _generated_rows():
    return [_row('HeatmapHead', '100%', 0.5),
            _row('LocationFreeHead', IMAGE_LEVEL, 0.6, **_sides(0.9),
                 **{'peaks/places': 14.5, 'peaks/places_gt': 15.56}),
            _row('LocationFreeHead', BOX_LABELS, 0.2, **_sides(0.7),
                 **{'peaks/places': 15.5, 'peaks/places_gt': 15.56}),
            _row('LocationFreeHead', PART_IMAGE_LEVEL, 0.47),
            _row('LocationFreeHead', PART_BOX_LABELS, 0.45),
            _row('LocationFreeHead', PRESENCE_OFF, 0.43),
            _row('HeatmapHead', LOCATED_ONLY, 0.40),
            _row('LocationFreeHead', '100%', 0.48)]


def test_table_and_target_lines():
    rows = _generated_rows()
    for metric in (None, COCO_AP):  # COCO AP is the table's own AP column
        table = format_table(rows, metric)
        assert table.count('\n') == len(rows) + 1
        assert table.splitlines()[0] == ('| head | location labels | AP | AP50 | '
                                         'PCK@0.2 (box) | peak places | train s |')
    assert f'| LocationFreeHead | {PART_BOX_LABELS} | 45.0 | 55.0 | 0.650 | - | 12 |' in table
    assert f'| LocationFreeHead | {IMAGE_LEVEL} | 60.0 | 70.0 | 0.800 | 14.50 (15.56) | 12 |' \
        in table
    sides = format_side_table(rows)
    assert '| head | location labels | shoulder | elbow | wrist | hip | knee | ankle |' in sides
    assert '| 0.90 / 0.89 | 0.90 / 0.89 | 0.90 / 0.89 | - / 0.85 | 0.90 / 0.89 |' in sides
    lines = summary_lines(rows)
    assert summary_lines(rows, COCO_AP) == lines
    assert lines == [
        '100% LocationFreeHead >= 100% HeatmapHead: AP 48.0 against 50.0 (not met)',
        '25% with image-level labels / weak losses off: AP 47.0 against 43.0, +4.0 (target '
        '>= +3.0: met)',
        '25% LocationFreeHead (image-level labels) / HeatmapHead on the located 25% alone: '
        'AP 47.0 against 40.0, +7.0 (target >= +3.0: met)',
        '25% (image-level labels) / 100% location labels (LocationFreeHead): AP ratio 0.98 '
        '(target >= 0.90: met); PCK@0.2 ratio 0.99',
        '25% with box labels / weak losses off: AP 45.0 against 43.0, +2.0 (target >= '
        '+3.0: not met)',
        '25% LocationFreeHead (box labels) / HeatmapHead on the located 25% alone: AP 45.0 '
        'against 40.0, +5.0 (target >= +3.0: met)',
        '25% (box labels) / 100% location labels (LocationFreeHead): AP ratio 0.94 (target '
        '>= 0.90: met); PCK@0.2 ratio 0.96',
        f'{IMAGE_LEVEL}: AP 60.0, PCK@0.2 0.800 (target >= 0.75: met); left/right lowest on '
        'the limbs 0.85 (hip; 4 px, hips at 2 px; target >= 0.80 on every pair: met); 14.50 '
        'distinct peak places per person (true 15.56; target >= 15: not met)',
        f'{BOX_LABELS}: AP 20.0, PCK@0.2 0.400 (target >= 0.75: not met); left/right lowest '
        'on the limbs 0.70 (shoulder; 4 px, hips at 2 px; target >= 0.80 on every pair: not '
        'met); 15.50 distinct peak places per person (true 15.56; target >= 15: met)']


def test_real_photo_table_and_target_lines():
    """LSP Extended: PCK@0.2 of the torso ranks (its own first column) and issue 24's
    targets, against the mean-pose baseline."""
    def row(name, labels, tpck, **more):
        return _row(name, labels, 0.3, tPCK=tpck, **more)
    rows = [row('HeatmapHead', '100%', 0.60),
            row('LocationFreeHead', IMAGE_LEVEL, 0.45, **_sides(0.75, hip=0.65)),
            row('LocationFreeHead', BOX_LABELS, 0.50),
            row('LocationFreeHead', PART_IMAGE_LEVEL, 0.58),
            row('LocationFreeHead', PART_BOX_LABELS, 0.57),
            row('LocationFreeHead', PRESENCE_OFF, 0.55),
            row('HeatmapHead', LOCATED_ONLY, 0.50),
            row('LocationFreeHead', '100%', 0.62),
            row('LocationFreeHead', PART_HSJP, 0.61)]
    mean_pose = {'tPCK': 0.25, 'PCK': 0.4, 'coco/AP': 0.01}
    table = format_table(rows + [dict(mean_pose, name='mean training pose', labels='-')],
                         TORSO_PCK)
    assert table.splitlines()[0] == ('| head | location labels | PCK@0.2 (torso) | AP | AP50 '
                                     '| PCK@0.2 (box) | peak places | train s |')
    assert f'| LocationFreeHead | {PART_HSJP} | 0.610 | 30.0 |' in table
    assert '| mean training pose | - | 0.250 | 1.0 | n/a | 0.400 | - | - |' in table
    assert summary_lines(rows, TORSO_PCK, mean_pose) == [
        'image-level labels only: PCK@0.2 (torso) 0.450 against the mean pose 0.250 + 0.15 '
        '= 0.400 (met); left/right lowest 0.65 (hip; target >= 0.70 on every limb pair: not '
        'met)',
        '25% (image-level) / 100% LocationFreeHead: 0.580 / 0.620 = 0.94 (target >= 0.90: '
        'met)',
        '25% (image-level) against HeatmapHead on the located quarter: +0.080 (target >= '
        '+0.050: met)',
        'HSJP-initialised 25% LocationFreeHead 0.610 against HeatmapHead 100% from scratch '
        '0.600 (met)',
        'weak losses at 25% (image-level labels) against the same arm without them: +0.030',
        'weak losses at 25% (box labels) against the same arm without them: +0.020']
    # without the mean pose, the first line gives the arm's number alone
    assert summary_lines(rows[1:2], TORSO_PCK) == [
        'image-level labels only: PCK@0.2 (torso) 0.450; left/right lowest 0.65 (hip; target '
        '>= 0.70 on every limb pair: not met)']


def test_ratio_is_not_claimed_when_the_reference_ap_is_near_zero():
    rows = [_row('LocationFreeHead', PART_BOX_LABELS, 0.0),
            _row('LocationFreeHead', '100%', 0.0001)]
    line = summary_lines(rows)[0]
    assert 'AP ratio not meaningful' in line and 'met' not in line
    assert 'PCK@0.2 ratio 1.00' in line  # 0.2 / 0.2001


# --------------------------------------------------------------------------- presence
def test_presence_varies_in_training_samples(synthetic_coco):
    """The image-level arm's pipeline (the report's presence tables) takes every keypoint
    out of view sometimes, none always."""
    weak = _arm('generated', IMAGE_LEVEL)
    absent = presence_statistics(str(GENERATED.config(weak.role)), synthetic_coco,
                                 num_samples=40)
    assert len(absent) == 17 and all(0 <= v <= 1 for v in absent.values())
    assert min(absent.values()) > 0.05 and max(absent.values()) < 0.9, absent


def test_presence_of_lsp_people_from_prepared_data(lsp_data):
    """On LSP Extended the presence matrix reads the prepared training split (its
    annotation file and images), 14 joints, one row per person (one pass)."""
    weak = _arm('lsp-extended', IMAGE_LEVEL)
    presence, metainfo = presence_matrix(str(LSP.config(weak.role)), lsp_data, seed=1)
    assert presence.shape == (24, 14) and set(np.unique(presence)) <= {0., 1.}
    assert metainfo['keypoint_id2name'][13] == 'head_top'
    assert 0 < presence.mean() < 1  # some joints leave the crop or are erased
    again, _ = presence_matrix(str(LSP.config(weak.role)), lsp_data, num_samples=5, seed=1)
    np.testing.assert_array_equal(again, presence[:5])  # seeded
    rates = one_side_rates(presence, metainfo)
    assert set(rates) == {'ankle', 'knee', 'hip', 'wrist', 'elbow', 'shoulder'}


def test_one_side_rates_count_pairs_with_exactly_one_present():
    metainfo = dict(keypoint_id2name={0: 'nose', 1: 'left_eye', 2: 'right_eye',
                                      3: 'left_knee', 4: 'right_knee'},
                    flip_indices=[0, 2, 1, 4, 3])
    presence = np.array([[1, 1, 0, 1, 1],
                         [1, 0, 0, 0, 1],
                         [0, 1, 1, 1, 0],
                         [1, 0, 1, 1, 1]], dtype=float)
    assert one_side_rates(presence, metainfo) == {'eye': 0.5, 'knee': 0.5}


# --------------------------------------------------------------------------- the benchmark
class _StubRuns:
    """``ExperimentRunner.run`` without training: records the arms and answers with a
    checkpoint, a time, test metrics and a test log with the side metrics."""

    def __init__(self):
        self.arms = []

    def __call__(self, runner, arm):
        self.arms.append(arm)
        work_dir = runner.work_dir / 'runs' / arm.name
        runner.log_dir.mkdir(parents=True, exist_ok=True)
        (runner.log_dir / f'test_{arm.name}.log').write_text(
            '01/01 mmengine - INFO - Epoch(test) [1/1]  left_right/wrist: 0.750000  '
            'left_right_2px/hip: 0.600000  peaks/places: 12.500000  peaks/places_gt: '
            '14.000000\n')
        test = {'coco/AP': 0.25, 'PCK': 0.5, 'tPCK': 0.4} if arm.test else {}
        return dict(work_dir=str(work_dir), checkpoint=str(work_dir / 'epoch_1.pth'),
                    train_seconds=3.0, test=test)


@pytest.mark.parametrize('source', SOURCES)
def test_benchmark_runs_every_arm_with_the_same_data_and_writes_the_report(
        source, tmp_path, monkeypatch):
    """``run_benchmark`` without training (the runs stubbed): every arm of the source in
    order, its config and options (the same budget, data and people; on LSP Extended the
    HSJP pretraining first and its transfer.pth in the HSJP arm), the CAMs of the
    image-level arm, and the report's tables and presence statistics."""
    from hsjp_mmpose.experiments import location_free
    from hsjp_mmpose.experiments.runner import ExperimentRunner
    from hsjp_mmpose.visualization import pictures
    stub, cams = _StubRuns(), []
    monkeypatch.setattr(ExperimentRunner, 'run', lambda self, arm: stub(self, arm))
    monkeypatch.setattr(pictures, 'render_dataset_cams',
                        lambda cfg, checkpoint, out, num: cams.append((cfg, checkpoint))
                        or [f'{out}/cam_0.png'])
    kwargs = dict(num_train=6, num_val=3)
    if source == 'lsp-extended':
        from tests.test_datasets.lsp_helpers import write_lspet_photos
        monkeypatch.setattr(lsp, 'SPLITS', LSP_PEOPLE)
        kwargs = dict(data_root=str(write_lspet_photos(tmp_path / 'published', 30)),
                      num_people=20, pretrain_epochs=2)
    work = tmp_path / 'lf'
    rows = location_free.run_benchmark(str(work), epochs=1, seed=3, cam_images=1,
                                       log=lambda msg: None, dataset=source, **kwargs)
    arms = ARMS_BY_DATASET[source]
    runs = stub.arms
    if source == 'lsp-extended':
        pretrain, runs = runs[0], runs[1:]
        assert pretrain.name == 'pretrain_hsjp' and not pretrain.test
        assert pretrain.config == LSP.config('hsjp').resolve()
        assert 'train_dataloader.dataset.indices=20' in pretrain.options
        assert 'train_cfg.max_epochs=2' in pretrain.options
        hsjp = runs[[a.key for a in arms].index('LocationFreeHead_25_imagelevel_hsjp')]
        assert (f'model.backbone.init_cfg.checkpoint='
                f'{work.resolve() / "runs" / "pretrain_hsjp" / "transfer.pth"}') in hsjp.options
    assert [r.name for r in runs] == [a.key for a in arms]
    assert [r.config for r in runs] == [SOURCES[source].config(a.role).resolve() for a in arms]
    data_options = {o for o in runs[0].options if '.dataset.' in o}
    for run in runs:
        assert 'train_cfg.max_epochs=1' in run.options and 'randomness.seed=3' in run.options
        assert {o for o in run.options if '.dataset.' in o} == data_options
    assert ('train_dataloader.dataset.indices=20' in data_options) == (source != 'generated')
    assert [(r['name'], r['labels']) for r in rows] == [(a.name, a.labels) for a in arms]
    assert all(r['peaks/places'] == 12.5 and r['left_right/wrist'] == 0.75 for r in rows)
    # the CAMs of the image-level arm, on the test split
    (cfg, checkpoint), = cams
    assert checkpoint.endswith('LocationFreeHead_0_imagelevel/epoch_1.pth')
    assert cfg.val_dataloader == cfg.test_dataloader
    text = (work / 'results.md').read_text()
    saved = json.loads((work / 'results.json').read_text())
    assert saved['dataset'] == source and len(saved['table']) == len(arms)
    assert f'| LocationFreeHead | {IMAGE_LEVEL} |' in text and '| mean training pose | - |' in text
    assert saved['mean_pose']['PCK'] >= 0
    assert 'exactly one keypoint of a left/right pair' in text
    assert 'CAMs of the image-level arm: cam_0.png' in text
    if source == 'generated':
        assert f'- {IMAGE_LEVEL}: AP 25.0' in text and f'- {BOX_LABELS}: AP 25.0' in text
        assert '- 25% with image-level labels / weak losses off: AP 25.0' in text
        assert '| eye | ear |' in text and 0 <= saved['mean_pose']['tPCK'] <= 1
        assert set(saved['one_side_present']) == {'eye', 'ear', 'shoulder', 'elbow', 'wrist',
                                                  'hip', 'knee', 'ankle'}
        assert 'every training person' in text
    else:
        assert '| PCK@0.2 (torso) |' in text and '- image-level labels only: PCK@0.2' in text
        assert f'| LocationFreeHead | {PART_HSJP} | 0.400 |' in text
        assert set(saved['one_side_present']) == {'ankle', 'knee', 'hip', 'wrist', 'elbow',
                                                  'shoulder'}
        assert len(saved['absent']) == 14 and saved['num_people'] == 20
        assert 'the first 20 training people' in text and 'LSP Extended' in text


def test_benchmark_refuses_bad_settings_before_any_work(tmp_path):
    """An arm without a config for the source, or more people than the training split
    holds (a larger subset would silently be the whole split), before any data is made."""
    from hsjp_mmpose.experiments.location_free import run_benchmark
    arm = LocationFreeArm('LocationFreeHead', PART_HSJP, key='LocationFreeHead_25_x')
    with pytest.raises(ValueError, match=r"no config for the arms \['locfree/Location"):
        run_benchmark(str(tmp_path), arms=[arm])
    with pytest.raises(ValueError, match='no config for the arms'):  # HSJP: photos only
        run_benchmark(str(tmp_path), arms=[_arm('lsp-extended', PART_HSJP)])
    with pytest.raises(ValueError, match=r'--num-people 7: .* at most 6 people; .*generate'):
        run_benchmark(str(tmp_path), num_train=6, num_people=7)
    with pytest.raises(ValueError, match=r'--num-people 8001: .* at most 8000 .*8,000'):
        run_benchmark(str(tmp_path), dataset='lsp-extended', data_root='/nowhere',
                      num_people=8001)
    assert not tmp_path.joinpath('data').exists() and not any(tmp_path.iterdir())


@pytest.mark.integration
def test_tiny_benchmark_end_to_end(tmp_path):
    """Every arm of the generated people through mim train / mim test on a few people,
    one epoch: the table, the targets' lines, both presence tables and the CAM pictures."""
    from hsjp_mmpose.experiments.location_free import run_benchmark
    work = tmp_path / 'lf'
    rows = run_benchmark(str(work), num_train=16, num_val=8, epochs=1, cam_images=1)
    assert [(r['name'], r['labels']) for r in rows] == [(a.name, a.labels) for a in ARMS]
    assert all(0 <= r['coco/AP'] <= 1 and 0 <= r['PCK'] <= 1 for r in rows)
    text = (work / 'results.md').read_text()
    assert '| HeatmapHead | 100% |' in text and f'{IMAGE_LEVEL}: AP' in text
    assert f'{BOX_LABELS}: AP' in text and '25% with image-level labels / weak losses off' \
        in text
    assert '| head | location labels | shoulder | elbow | wrist | hip | knee | ankle |' in text
    assert all('peaks/places' in r and 'left_right_2px/wrist' in r for r in rows)
    assert 'exactly one keypoint of a left/right pair' in text and '| eye | ear |' in text
    saved = json.loads((work / 'results.json').read_text())
    assert set(saved['one_side_present']) == {'eye', 'ear', 'shoulder', 'elbow', 'wrist',
                                              'hip', 'knee', 'ankle'}
    assert 0 <= saved['mean_pose']['PCK'] <= 1
    assert len(list((work / 'cams').iterdir())) == 1


@pytest.mark.integration
def test_tiny_lsp_benchmark_end_to_end(tmp_path, monkeypatch):
    """Every LSP Extended arm through mim train / mim test on a hand-made folder of 30
    people (24 training people, the first 20 used; the fixed split monkeypatched, the
    conversion runs in this process), one epoch, after one epoch of HSJP pretraining
    whose transfer.pth initialises the HSJP arm: the table on PCK@0.2 of the torso, the
    targets' lines, both presence tables and the CAM picture."""
    from hsjp_mmpose.experiments.location_free import run_benchmark
    from tests.test_datasets.lsp_helpers import write_lspet_photos
    monkeypatch.setattr(lsp, 'SPLITS', LSP_PEOPLE)
    published = write_lspet_photos(tmp_path / 'published', 30)
    work = tmp_path / 'lf'
    rows = run_benchmark(str(work), epochs=1, cam_images=1, dataset='lsp-extended',
                         data_root=str(published), num_people=20, pretrain_epochs=1)
    arms = ARMS_BY_DATASET['lsp-extended']
    assert [(r['name'], r['labels']) for r in rows] == [(a.name, a.labels) for a in arms]
    assert all(0 <= r['tPCK'] <= 1 and 0 <= r['PCK'] <= 1 for r in rows)
    assert all('peaks/places' in r and 'left_right_2px/wrist' in r for r in rows)
    assert (work / 'runs' / 'pretrain_hsjp' / 'transfer.pth').is_file()
    text = (work / 'results.md').read_text()
    assert '| PCK@0.2 (torso) |' in text and '| mean training pose | - |' in text
    assert '- image-level labels only: PCK@0.2 (torso)' in text
    assert '- HSJP-initialised 25% LocationFreeHead' in text
    assert '| head | location labels | shoulder | elbow | wrist | hip | knee | ankle |' in text
    saved = json.loads((work / 'results.json').read_text())
    assert set(saved['one_side_present']) == {'ankle', 'knee', 'hip', 'wrist', 'elbow',
                                              'shoulder'}
    assert len(saved['absent']) == 14 and saved['num_people'] == 20
    assert len(list((work / 'cams').iterdir())) == 1
