# Copyright (c) hsjp-mmpose contributors.
import json

import numpy as np
import pytest
from mmpose.registry import DATASETS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401

META_KEYS = ('id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape',
             'img_shape', 'input_size', 'input_center', 'input_scale', 'flip',
             'flip_direction', 'flip_indices', 'raw_ann_info', 'dataset_name',
             'jigsaw_permutation', 'jigsaw_grid')


def _dataset(real_coco_dir, **kwargs):
    register_all_modules()  # default scope 'mmpose' for the pipeline's transforms
    cfg = dict(type='CocoPersonDataset', data_root=str(real_coco_dir),
               ann_file='test_coco.json', data_prefix=dict(img=''), pipeline=[])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_keeps_people_without_keypoints(real_coco_dir):
    stock = DATASETS.build(dict(type='CocoDataset', data_root=str(real_coco_dir),
                                ann_file='test_coco.json', data_prefix=dict(img=''),
                                pipeline=[]))
    people = _dataset(real_coco_dir, min_bbox_size=0)
    assert len(stock) == 12
    assert len(people) == 14  # + the two boxes with num_keypoints == 0
    assert sum(people[i]['num_keypoints'] == 0 for i in range(len(people))) == 2
    # 11x68 and 30x96 boxes go at 16 and 32 pixels.
    assert len(_dataset(real_coco_dir, min_bbox_size=16)) == 13
    assert len(_dataset(real_coco_dir, min_bbox_size=32)) == 11


def test_jigsaw_metainfo_and_placeholders(real_coco_dir):
    dataset = _dataset(real_coco_dir, jigsaw_grid=(4, 3))
    assert dataset.metainfo['num_keypoints'] == 12
    assert dataset.metainfo['flip_indices'] == list(range(12))
    assert dataset.metainfo['dataset_name'] == 'jigsaw_4x3'
    info = dataset[0]
    assert info['keypoints'].shape == (1, 12, 2)
    assert info['keypoints_visible'].shape == (1, 12)
    assert info['flip_indices'] == list(range(12))


def test_crowd_other_categories_and_files_without_keypoints(real_coco_dir, tmp_path):
    src = json.loads((real_coco_dir / 'test_coco.json').read_text())
    anns = src['annotations'][:3]
    for ann in anns:
        for key in ('keypoints', 'num_keypoints'):
            ann.pop(key)
    crowd = dict(anns[0], id=900, iscrowd=1)
    dog = dict(anns[0], id=901, category_id=18)
    src['annotations'] = anns + [crowd, dog]
    src['categories'] += [dict(id=18, name='dog', supercategory='animal')]
    (tmp_path / 'instances.json').write_text(json.dumps(src))
    dataset = DATASETS.build(dict(
        type='CocoPersonDataset', data_root=str(tmp_path), ann_file='instances.json',
        data_prefix=dict(img=str(real_coco_dir) + '/'), pipeline=[], min_bbox_size=0))
    assert len(dataset) == 3
    assert dataset[0]['keypoints'].shape == (1, 17, 2)


def test_invalid_min_bbox_size(real_coco_dir):
    with pytest.raises(ValueError, match='min_bbox_size'):
        _dataset(real_coco_dir, min_bbox_size=-1)


def test_pretraining_pipeline_packs_jigsaw_targets(real_coco_dir):
    codec = dict(type='HeatmapJigsaw', input_size=(96, 128), heatmap_size=(24, 32),
                 grid=(4, 3), sigma=1.)
    pipeline = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='RandomFlip', direction='horizontal'),
        dict(type='TopdownAffine', input_size=(96, 128)),
        dict(type='RandomJigsaw', grid=(4, 3), patch_jitter=4),
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs', meta_keys=META_KEYS),
    ]
    dataset = _dataset(real_coco_dir, jigsaw_grid=(4, 3), pipeline=pipeline)
    np.random.seed(0)
    for idx in range(len(dataset)):
        sample = dataset[idx]
        ds = sample['data_samples']
        assert tuple(sample['inputs'].shape) == (3, 128, 96)
        assert ds.gt_fields.heatmaps.shape == (12, 32, 24)
        assert ds.gt_instance_labels.keypoint_weights.shape == (1, 12)
        assert ds.gt_instances.keypoints_visible.shape == (1, 12)
        perm = ds.metainfo['jigsaw_permutation']
        assert sorted(perm) == list(range(12))
        heatmaps = ds.gt_fields.heatmaps.numpy()
        for k in range(12):
            y, x = np.unravel_index(heatmaps[k].argmax(), heatmaps[k].shape)
            assert (y // 8) * 3 + x // 8 == perm[k]


def test_grid_comes_from_the_pipelines_random_jigsaw(real_coco_dir):
    """A config states the grid once, on RandomJigsaw: the dataset reads it from there."""
    pipeline = [dict(type='LoadImage'), dict(type='TopdownAffine', input_size=(96, 128)),
                dict(type='RandomJigsaw', grid=(4, 3))]
    dataset = _dataset(real_coco_dir, pipeline=pipeline)
    assert dataset.jigsaw_grid == (4, 3) and dataset.metainfo['num_keypoints'] == 12
    assert dataset.get_data_info(0)['keypoints'].shape == (1, 12, 2)
    # an explicit grid that agrees is accepted; one that disagrees names both
    assert _dataset(real_coco_dir, pipeline=pipeline, jigsaw_grid=(4, 3)).jigsaw_grid == (4, 3)
    with pytest.raises(ValueError, match=r'jigsaw_grid=\(2, 2\) disagrees.*\(4, 3\)'):
        _dataset(real_coco_dir, pipeline=pipeline, jigsaw_grid=(2, 2))
    # no RandomJigsaw and no jigsaw_grid: COCO's keypoints
    assert _dataset(real_coco_dir).metainfo['num_keypoints'] == 17


def test_jigsaw_grid_of_pipeline():
    from hsjp_mmpose.datasets.transforms import RandomJigsaw, jigsaw_grid_of_pipeline
    assert jigsaw_grid_of_pipeline(None) is None
    assert jigsaw_grid_of_pipeline([dict(type='LoadImage')]) is None
    assert jigsaw_grid_of_pipeline([dict(type='RandomJigsaw')]) == RandomJigsaw().grid
    assert jigsaw_grid_of_pipeline([dict(type='mmpose.RandomJigsaw', grid=[2, 3])]) == (2, 3)
    assert jigsaw_grid_of_pipeline([dict(type=RandomJigsaw, grid=(2, 3))]) == (2, 3)
    assert jigsaw_grid_of_pipeline([RandomJigsaw(grid=(3, 2))]) == (3, 2)
    with pytest.raises(ValueError, match='different grids'):
        jigsaw_grid_of_pipeline([dict(type='RandomJigsaw', grid=(2, 2)),
                                 dict(type='RandomJigsaw', grid=(4, 3))])
