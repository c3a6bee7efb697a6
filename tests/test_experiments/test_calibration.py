# Copyright (c) hsjp-mmpose contributors.
"""The calibration table's common split: the generated hard val split (the arms, options
and table of before) or, with the LSP Extended source, its val split scored on the shared
limb joints through the cross-layout path. The runner is replaced by a recorder: no data
is generated and nothing trains."""
import importlib.util
from pathlib import Path

import pytest

from hsjp_mmpose.experiments import calibration
from hsjp_mmpose.experiments.data_sources import (DataFiles, GeneratedPeople, LspExtended,
                                                  PreparedData)
from hsjp_mmpose.experiments.options import coco_data_root_options, finetune_options

REPO = Path(__file__).resolve().parents[2]
ROW = ('easy', dict(base='easy'))


class RecordingRunner:
    """What ``calibrate`` asks of an ExperimentRunner, recorded."""

    def __init__(self, work_dir, log=None, name=''):
        self.work_dir = Path(work_dir)
        self.calls = []
        self.runs = {}
        RecordingRunner.last = self

    def say(self, msg):
        pass

    def log(self, msg):
        pass

    def data(self, name, num_train, num_val, seed=0, level='easy', **kwargs):
        self.calls.append(('data', name, num_train, num_val, seed, level, kwargs))
        return self.work_dir / 'data' / name

    def run(self, arm):
        self.calls.append(('run', arm.name, str(arm.config), list(arm.options)))
        self.runs[arm.name] = dict(checkpoint=f'{arm.name}.pth', train_seconds=12.,
                                   test={'coco/AP': 0.25, 'PCK': 0.9})
        return self.runs[arm.name]

    def test(self, arm, checkpoint):
        self.calls.append(('test', arm.name, str(arm.config), list(arm.options), checkpoint))
        return {'coco/AP': 0.05, 'PCK': 0.8}, 3.

    def save(self, extra=None):
        self.saved = extra


@pytest.fixture
def recorder(monkeypatch):
    monkeypatch.setattr(calibration, 'ExperimentRunner', RecordingRunner)
    monkeypatch.setattr(calibration, 'check_labelled_people', lambda *args: 1000)
    monkeypatch.setattr(calibration, 'occluded_share', lambda *args: 0.06)
    reports = []
    monkeypatch.setattr(calibration, 'write_report',
                        lambda runner, text, extra=None: reports.append((text, extra)))
    return reports


def test_scratch_config_from_the_config_folder():
    assert calibration.SCRATCH_CONFIG == \
        REPO / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'


def test_common_source():
    generated = calibration.common_source(num_val=300, seed=2)
    assert isinstance(generated, GeneratedPeople)
    assert (generated.num_train, generated.num_val, generated.seed, generated.level,
            generated.data_name) == (0, 300, 1002, 'hard', 'common_val_hard')
    lsp = calibration.common_source('lsp-extended', '/some/lspet')
    assert isinstance(lsp, LspExtended) and str(lsp.data_root) == '/some/lspet'
    with pytest.raises(ValueError, match='drop --data-root'):
        calibration.common_source('generated', '/some/lspet')


def test_generated_common_split_as_before(tmp_path, recorder):
    """The same data sets, arms, options and table as before the data-source setting."""
    config = calibration.SCRATCH_CONFIG
    out = calibration.calibrate(tmp_path, rows=[ROW], num_labelled=400, epochs=30)
    calls = RecordingRunner.last.calls
    common, row = tmp_path / 'data/common_val_hard', tmp_path / 'data/row0'
    assert calls == [
        ('data', 'common_val_hard', 0, 300, 1000, 'hard', {}),
        ('data', 'row0', 1000, 300, 0, dict(base='easy'), {}),
        ('run', 'row0', str(config),
         finetune_options(config, row, 30, 400, val_interval=30, seed=0)),
        ('test', 'row0_on_common', str(config), coco_data_root_options(common), 'row0.pth')]
    assert out == [dict(row='easy', level=dict(base='easy'), occluded=0.06, ap=0.25, pck=0.9,
                        train_seconds=12., common_ap=0.05, common_pck=0.8)]
    assert 'common_test' in RecordingRunner.last.runs['row0']
    text, extra = recorder[0]
    assert text.startswith('Scratch training of the small network on the first 400 labelled '
                           'people for 30 epochs (seed 0); COCO AP (%) and PCK@0.2 by `mim '
                           "test` on each row's own validation split and on one common split "
                           '(300 images of the hard level).')
    assert '| data | occluded keypoints (v=1) | AP, own val | PCK@0.2, own val | AP, common ' \
           'hard val | PCK@0.2, common hard val | train s |' in text
    assert '| easy | 6% | 25.0 | 0.900 | 5.0 | 0.800 | 12 |' in text
    assert extra == dict(table=out)


def test_lsp_common_split_through_the_cross_layout_path(tmp_path, recorder, monkeypatch):
    from hsjp_mmpose.experiments import real_people
    val = DataFiles(tmp_path / 'data/lsp-extended', 'annotations/lspet_val.json', 'images/')
    monkeypatch.setattr(LspExtended, 'check', lambda self: None)
    monkeypatch.setattr(LspExtended, 'prepare', lambda self, runner: PreparedData(
        train=None, val=val, test=None))
    scored = []

    def score(config, checkpoint, dataset_type, data_root, ann_file, img_prefix,
              source_layout, work_dir, joints=real_people.LIMB_JOINTS, **kwargs):
        scored.append((str(config), checkpoint, dataset_type, Path(data_root), ann_file,
                       img_prefix, source_layout, tuple(joints)))
        return {'tPCK': 0.31, 'tPCK/people': 830, 'PCK': 0.7}, dict(people=1000, keypoints=9)
    monkeypatch.setattr(real_people, 'score_cross_layout', score)
    out = calibration.calibrate(tmp_path, rows=[ROW], dataset='lsp-extended',
                                data_root='/some/lspet')
    calls = RecordingRunner.last.calls
    assert [c[:2] for c in calls] == [('data', 'row0'), ('run', 'row0')]  # no generated val
    assert scored == [(str(calibration.SCRATCH_CONFIG), 'row0.pth', 'LspDataset', val.data_root,
                       'annotations/lspet_val.json', 'images/', 'lsp',
                       tuple(real_people.LIMB_JOINTS))]
    assert out[0]['common_tpck'] == 0.31 and out[0]['common_pck'] == 0.7
    assert 'common_ap' not in out[0]
    record = RecordingRunner.last.runs['row0']
    assert 'common_test' not in record and record['common_test_lsp-extended']['tPCK'] == 0.31
    text, extra = recorder[0]
    assert 'LSP Extended (real photos) validation split, on the 12 limb joints' in text
    assert '| easy | 6% | 25.0 | 0.900 | 0.310 | 0.700 | 12 |' in text
    assert extra['common'] == dict(dataset='lsp-extended', data_root='/some/lspet',
                                   split='val')


def test_command_refuses_a_bad_source_before_any_work(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('calibrate_data_levels',
                                                  REPO / 'tools/calibrate_data_levels.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    work = tmp_path / 'work'
    for args, message in ((['--data-root', str(tmp_path)], 'drop --data-root'),
                          (['--dataset', 'lsp-extended'], 'needs --data-root'),
                          (['--dataset', 'lsp-extended', '--data-root', str(tmp_path)],
                           'joints.mat')):
        with pytest.raises(SystemExit) as exit_:
            tool.main(['--work-dir', str(work), *args])
        assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not work.exists()
