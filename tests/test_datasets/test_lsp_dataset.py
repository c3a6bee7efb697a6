# Copyright (c) hsjp-mmpose contributors.
"""LspDataset on converted hand-made LSP Extended files, alone and through the small LSP
config's validation pipeline."""
import copy

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.config_paths import config_path
from hsjp_mmpose.datasets.converters import lsp
from hsjp_mmpose.datasets.converters.lsp import convert_lsp
from .lsp_helpers import TINY_SPLITS, lspet_people, write_lsp_folder

LSP_CONFIG = '_base_/td-hm_res18-half_1xb32_lsp-128x128.py'
PRETRAIN_CONFIG = 'keypoint_pretrain/td-hm_res18-half_1xb32-12e_synthetic-source-lsp-128x128.py'
NAMES = ['right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
         'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow',
         'left_wrist', 'neck', 'head_top']


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    joints, sizes, visibility = lspet_people()
    root = tmp_path_factory.mktemp('lsp_dataset')
    data = write_lsp_folder(root / 'published', joints, sizes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lsp, 'SPLITS', TINY_SPLITS)
        convert_lsp(data, root / 'lsp_extended')
    return root / 'lsp_extended', joints, visibility


def _build(cfg):
    init_default_scope('mmpose')
    return DATASETS.build(copy.deepcopy(cfg))


def _dataset(out, ann_file='annotations/lspet_train.json', **kwargs):
    return _build(dict(type='LspDataset', data_root=str(out), ann_file=ann_file,
                       data_prefix=dict(img='images/'), pipeline=[], **kwargs))


def test_metainfo(converted):
    out, _, _ = converted
    meta = _dataset(out).metainfo
    assert meta['dataset_name'] == 'lsp' and meta['num_keypoints'] == 14
    assert [meta['keypoint_id2name'][k] for k in range(14)] == NAMES
    pairs = {tuple(sorted(p)) for p in meta['flip_pairs']}
    assert pairs == {(0, 5), (1, 4), (2, 3), (6, 11), (7, 10), (8, 9)}
    assert meta['flip_indices'] == [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13]
    assert meta['sigmas'].shape == (14,) and meta['dataset_keypoint_weights'].shape == (14,)
    # COCO's sigmas for the limb joints (LSP's ankles = COCO's ankles, ...)
    assert meta['sigmas'][[0, 6, 8]] == pytest.approx([0.089, 0.062, 0.079])
    assert len(meta['skeleton_links']) == 14


def test_samples(converted):
    out, joints, visibility = converted
    train = _dataset(out)
    assert len(train) == 3  # images 1-3 of the tiny split
    for i, sample in enumerate(train[k] for k in range(len(train))):
        assert sample['img_id'] == i + 1 and sample['id'] == i + 1
        assert sample['img_path'].endswith(f'images/im{i + 1:05d}.jpg')
        assert sample['keypoints'].shape == (1, 14, 2)
        assert sample['keypoints_visible'].shape == (1, 14)
        np.testing.assert_allclose(sample['keypoints'][0], joints[i, :, :2], atol=1e-4)
        # MMPose keeps min(1, v): the joint estimated inside the image counts as labelled
        np.testing.assert_array_equal(sample['keypoints_visible'][0],
                                      np.minimum(1, visibility[i]))
        assert sample['num_keypoints'] == np.count_nonzero(visibility[i])
        assert sample['bbox'].shape == (1, 4)
    # the val split has no annotated person (4: placeholders, 5: one joint): the
    # plugin's data checks refuse an empty data set, naming the file
    with pytest.raises(Exception, match='no sample left from .*lspet_val.json'):
        _dataset(out, 'annotations/lspet_val.json', test_mode=True)


def test_val_pipeline_of_the_lsp_config(converted):
    out, joints, _ = converted
    cfg = Config.fromfile(str(config_path(LSP_CONFIG)))
    dataset_cfg = cfg.val_dataloader.dataset.to_dict()
    assert dataset_cfg['type'] == 'LspDataset'
    dataset_cfg.update(data_root=str(out) + '/', ann_file='annotations/lspet_test.json')
    dataset = _build(dataset_cfg)
    assert len(dataset) == 1
    packed = dataset[0]
    assert tuple(packed['inputs'].shape) == (3, 128, 128)
    sample = packed['data_samples']
    assert sample.metainfo['img_id'] == 6
    assert sample.metainfo['flip_indices'] == [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13]
    gt = sample.gt_instances
    assert gt.keypoints.shape == (1, 14, 2)
    np.testing.assert_allclose(gt.keypoints[0], joints[5, :, :2], atol=1e-4)
    assert gt.keypoints_visible.shape[:2] == (1, 14)
    assert gt.bboxes.shape == (1, 4)


def test_pretraining_config_reads_generated_people_in_lsp_layout(tiny_coco_source):
    """The synthetic-source LSP config: LspDataset reads COCO-17 files, and its
    KeypointConverter hands every later step LSP's 14 joints."""
    cfg = Config.fromfile(str(config_path(PRETRAIN_CONFIG)))
    dataset_cfg = cfg.val_dataloader.dataset.to_dict()
    dataset_cfg.update(data_root=str(tiny_coco_source) + '/')
    dataset = _build(dataset_cfg)
    raw = dataset.get_data_info(0)
    assert raw['keypoints'].shape == (1, 17, 2)
    packed = dataset[0]
    gt = packed['data_samples'].gt_instances
    assert gt.keypoints.shape == (1, 14, 2)
    # LSP's neck and head top have no COCO joint: unlabelled
    assert (np.asarray(gt.keypoints_visible)[0, 12:] == 0).all()
    # LSP's right shoulder (8) is COCO's right shoulder (6)
    np.testing.assert_allclose(gt.keypoints[0, 8], raw['keypoints'][0, 6], atol=1e-4)
