# Copyright (c) hsjp-mmpose contributors.
"""Data sources (hsjp_mmpose.experiments.data_sources) and dataset_options: the generated
people's arms get exactly the overrides they had before data sources (the data folder),
LSP Extended's configs already name its files, a config pointed at another source's files
gets their annotation files and images; the settings' and folders' errors."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from hsjp_mmpose.datasets.converters import lsp
from hsjp_mmpose.experiments.data_sources import (COCO_AP, DATASETS, MPJPE, TORSO_PCK,
                                                  DataFiles, GeneratedPeople, LspExtended,
                                                  RankingMetric, data_source)
from hsjp_mmpose.experiments.options import coco_data_root_options, dataset_options
from tests.test_datasets.lsp_helpers import (TINY_SPLITS, lsp_people, lspet_people,
                                             write_lsp_folder)

#: LSP's roles that train on LSP itself (all but 'keypoints-2d': generated people)
LSP_DATA_ROLES = tuple(role for role in LspExtended.configs if role != 'keypoints-2d')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _generated(tmp_path, source=None):
    """``source.prepare`` with a runner that records what it was asked to generate."""
    calls = []
    root = tmp_path / 'generated'

    def data(name, num_train, num_val, **kwargs):
        calls.append(dict(name=name, num_train=num_train, num_val=num_val, **kwargs))
        return root

    data_set = (source or GeneratedPeople()).prepare(SimpleNamespace(data=data))
    return data_set, root, calls


@pytest.fixture
def lsp_prepared(tmp_path, monkeypatch):
    """A hand-made LSP Extended folder (6 people, tiny splits) prepared in a work dir."""
    monkeypatch.setattr(lsp, 'SPLITS', TINY_SPLITS)
    joints, sizes, _ = lspet_people()
    folder = write_lsp_folder(tmp_path / 'published', joints, sizes, 'lspet')
    work_dir = tmp_path / 'work'
    runner = SimpleNamespace(work_dir=work_dir, say=lambda message: None)
    return LspExtended(data_root=folder).prepare(runner)


def _root_only(root):
    return [f'{loader}.dataset.data_root={Path(root).resolve()}/' for loader in LOADERS]


# ------------------------------------------------------------------ generated people
def test_generated_arms_get_exactly_the_data_root_options(tmp_path):
    """For every config role of the generated people, the source's overrides are those
    the experiments gave before data sources: coco_data_root_options of the folder (so
    the 92 arms of the quickstart and benchmarks resolve to the same runs and resume)."""
    source = GeneratedPeople()
    data, root, calls = _generated(tmp_path, source)
    assert {'hsjp', 'pose2d-scratch', 'pose3d-init', 'locfree/HeatmapHead_100'} <= \
        set(source.configs)
    for role in source.configs:
        config = source.config(role)
        assert data.options(config) == coco_data_root_options(root), role
        # val is also the test split
        assert data.options(config, test_split='val') == coco_data_root_options(root), role
    assert calls == [dict(name='easy_seed0', num_train=3000, num_val=300, seed=0,
                          level='easy')]
    assert data.root == root and data.test == data.val
    assert data.train == DataFiles(root, 'annotations/person_keypoints_train.json',
                                   'images/train/')


def test_generated_settings_reach_the_generator(tmp_path):
    source = GeneratedPeople(num_train=40, num_val=8, level='medium', seed=3,
                             generator_options=dict(max_people=1), data_name='src')
    _, _, calls = _generated(tmp_path, source)
    assert calls == [dict(name='src', num_train=40, num_val=8, seed=3, level='medium',
                          max_people=1)]


def test_max_labelled():
    # num_train images of at most max_people people: easy 1, medium 2, hard 3
    assert GeneratedPeople(num_train=100).max_labelled() == 100
    assert GeneratedPeople(num_train=100, level='medium').max_labelled() == 200
    assert GeneratedPeople(num_train=100, level='hard').max_labelled() == 300
    assert GeneratedPeople(num_train=100, level='hard',
                           generator_options=dict(max_people=2)).max_labelled() == 200
    # the fixed LSP Extended training split, images 1-8,000 (whatever the folder)
    assert LspExtended(data_root='/nowhere').max_labelled() == 8000
    assert '8,000' in LspExtended().more_labels_hint()
    assert 'num_train' in GeneratedPeople().more_labels_hint()


# ------------------------------------------------------------------ LSP Extended
def test_lsp_configs_already_name_the_lsp_files(lsp_prepared, tmp_path):
    root = tmp_path / 'work' / 'data' / 'lsp-extended'
    assert lsp_prepared.root == root
    assert lsp_prepared.test == DataFiles(root, 'annotations/lspet_test.json', 'images/')
    for split in ('train', 'val', 'test'):
        files = lsp_prepared.split(split)
        assert (root / files.ann_file).is_file() and (root / files.img_prefix).is_dir()
    source = LspExtended(data_root='/unused')
    for role in LSP_DATA_ROLES:
        config = source.config(role)
        assert lsp_prepared.options(config) == _root_only(root), role
        # the test loader on the validation split: only its annotation file differs
        assert lsp_prepared.options(config, test_split='val') == _root_only(root)[:2] + [
            f'test_dataloader.dataset.data_root={root.resolve()}/',
            'test_dataloader.dataset.ann_file=annotations/lspet_val.json'], role
    with pytest.raises(KeyError, match="split must be 'train', 'val' or 'test'"):
        lsp_prepared.options(source.config('hsjp'), test_split='train2')


def test_lsp_keypoint_source_config_trains_on_generated_people(tmp_path):
    """LSP's 'keypoints-2d' role pretrains on generated people drawn in LSP's layout: its
    config names the generated files, so generated data need no more than the folder."""
    data, root, _ = _generated(tmp_path)
    config = LspExtended().config('keypoints-2d')
    assert data.options(config) == coco_data_root_options(root)


def test_a_config_pointed_at_another_sources_files(lsp_prepared, tmp_path):
    lsp_root = (tmp_path / 'work' / 'data' / 'lsp-extended').resolve()
    generated, gen_root, _ = _generated(tmp_path)
    # the generated HSJP config on LSP's files: each loader's annotation file and images
    options = lsp_prepared.options(GeneratedPeople().config('hsjp'))
    assert options == [
        f'train_dataloader.dataset.data_root={lsp_root}/',
        'train_dataloader.dataset.ann_file=annotations/lspet_train.json',
        'train_dataloader.dataset.data_prefix.img=images/',
        f'val_dataloader.dataset.data_root={lsp_root}/',
        'val_dataloader.dataset.ann_file=annotations/lspet_val.json',
        'val_dataloader.dataset.data_prefix.img=images/',
        f'test_dataloader.dataset.data_root={lsp_root}/',
        'test_dataloader.dataset.ann_file=annotations/lspet_test.json',
        'test_dataloader.dataset.data_prefix.img=images/']
    # the LSP HSJP config on generated files (whose test split is val)
    options = generated.options(LspExtended().config('hsjp'))
    gen_root = gen_root.resolve()
    assert options == [
        f'train_dataloader.dataset.data_root={gen_root}/',
        'train_dataloader.dataset.ann_file=annotations/person_keypoints_train.json',
        'train_dataloader.dataset.data_prefix.img=images/train/',
        f'val_dataloader.dataset.data_root={gen_root}/',
        'val_dataloader.dataset.ann_file=annotations/person_keypoints_val.json',
        'val_dataloader.dataset.data_prefix.img=images/val/',
        f'test_dataloader.dataset.data_root={gen_root}/',
        'test_dataloader.dataset.ann_file=annotations/person_keypoints_val.json',
        'test_dataloader.dataset.data_prefix.img=images/val/']


def test_dataset_options_compares_with_the_configs_own_values(tmp_path):
    """Only the loaders asked for; an image prefix that differs alone is overridden alone."""
    from mmengine.config import Config
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        data_root='x/', ann_file='a.json', data_prefix=dict(img='img/'))),
        val_dataloader=dict(dataset=dict(data_root='x/', ann_file='b.json'))))
    options = dataset_options(cfg, dict(
        train_dataloader=DataFiles(tmp_path, 'a.json', 'other/'),
        val_dataloader=DataFiles(tmp_path, 'b.json', 'img/')))
    root = tmp_path.resolve()
    assert options == [f'train_dataloader.dataset.data_root={root}/',
                       'train_dataloader.dataset.data_prefix.img=other/',
                       f'val_dataloader.dataset.data_root={root}/',
                       'val_dataloader.dataset.data_prefix.img=img/']  # val had no prefix
    assert DataFiles(tmp_path, 'a.json', 'img/').dataset_values() == {
        'data_root': f'{root}/', 'ann_file': 'a.json', 'data_prefix.img': 'img/'}


def test_config_roles():
    assert LspExtended().config('pose2d-init').name == \
        'td-hm_res18-half_hsjp-init_1xb32-50e_lsp-128x128.py'
    assert LspExtended().has('hsjp') and not LspExtended().has('pose3d-scratch')
    with pytest.raises(KeyError, match=r"no config for 'pose3d-scratch'.*'hsjp'"):
        LspExtended().config('pose3d-scratch')
    assert GeneratedPeople().config('pose3d-scratch').is_file()


def test_check_a_folder_without_joints_mat(tmp_path):
    with pytest.raises(ValueError, match=r'joints\.mat not found'):
        LspExtended(data_root=tmp_path).check()
    with pytest.raises(ValueError, match='is not a folder'):
        LspExtended(data_root=tmp_path / 'missing').check()
    with pytest.raises(ValueError, match='needs --data-root'):
        LspExtended().check()


def test_check_refuses_the_original_lsp(tmp_path):
    joints, sizes, _ = lsp_people()
    folder = write_lsp_folder(tmp_path / 'lsp', joints, sizes, 'lsp')
    with pytest.raises(ValueError, match=r'joints\.mat is the original LSP \(3 x 14 x N\); '
                                         r'--dataset lsp-extended takes LSP Extended'):
        LspExtended(data_root=folder).check()
    # an LSP Extended folder passes
    joints, sizes, _ = lspet_people()
    LspExtended(data_root=write_lsp_folder(tmp_path / 'lspet', joints, sizes)).check()


def test_check_passes_on_the_published_folder(lsp_extended_dir):
    LspExtended(data_root=lsp_extended_dir).check()


# ------------------------------------------------------------------ data_source
def test_data_source_of_the_command_line(tmp_path):
    source = data_source('generated', None, num_train=20, level='hard')
    assert isinstance(source, GeneratedPeople) and source.num_train == 20 and \
        source.max_labelled() == 60
    source = data_source('lsp-extended', tmp_path)
    assert isinstance(source, LspExtended) and source.data_root == tmp_path
    assert source.metric is TORSO_PCK and source.input_size == (128, 128)
    assert DATASETS == ('generated', 'lsp-extended')


@pytest.mark.parametrize('args, match', [
    (('coco', None), r"--dataset must be one of \('generated', 'lsp-extended'\), got 'coco'"),
    (('lsp-extended', None), '--dataset lsp-extended needs --data-root DIR'),
    (('lsp-extended', ''), '--dataset lsp-extended needs --data-root DIR'),
    (('generated', '/data/lsp'), '--data-root /data/lsp is for a real data set.*drop '
                                 '--data-root, or add --dataset lsp-extended'),
])
def test_data_source_errors_name_the_option(args, match):
    with pytest.raises(ValueError, match=match):
        data_source(*args)


def test_data_source_from_a_command_line():
    import argparse
    from hsjp_mmpose.experiments.data_sources import (add_data_source_args,
                                                      data_source_from_args)
    parser = argparse.ArgumentParser()
    add_data_source_args(parser)
    assert isinstance(data_source_from_args(parser.parse_args([])), GeneratedPeople)
    args = parser.parse_args(['--dataset', 'lsp-extended', '--data-root', '/d'])
    assert data_source_from_args(args).data_root == '/d'
    with pytest.raises(SystemExit):
        parser.parse_args(['--dataset', 'mpii'])


# ------------------------------------------------------------------ ranking metrics
def test_ranking_metrics_print_in_their_units():
    assert COCO_AP.format(0.25149) == '25.1' and COCO_AP.format(None) == 'n/a'
    assert COCO_AP.format_gain(0.05) == '+5.0' and COCO_AP.format_gain(-0.0123) == '-1.2'
    assert COCO_AP.axis_label == 'COCO AP (%)'
    assert TORSO_PCK.format(0.51249) == '0.512' and TORSO_PCK.format_gain(0.0126) == '+0.013'
    assert TORSO_PCK.axis_label == 'PCK@0.2 (torso)' and TORSO_PCK.key == 'tPCK'
    assert MPJPE.format(45.66) == '45.7' and MPJPE.format_gain(-3.21) == '-3.2'
    assert MPJPE.axis_label == 'MPJPE (mm)' and not MPJPE.higher_is_better
    assert MPJPE.min_delta == 1. and COCO_AP.min_delta == TORSO_PCK.min_delta == 0.005
    custom = RankingMetric('acc', 'Accuracy', scale=1., digits=2, unit='')
    assert custom.format(0.5) == '0.50' and custom.format_gain(0.) == '+0.00'
    assert custom.axis_label == 'Accuracy'
