# Copyright (c) hsjp-mmpose contributors.
"""The real-people evaluation: conversion of OCHuman / CrowdPose / MPII / COCO test files
to COCO-17 (hand-made annotations), MMPose's CocoMetric on a converted file, and a tiny run
of the command on the real test images (skipped without them)."""
import json
from pathlib import Path

import numpy as np
import pytest

from hsjp_mmpose.experiments.real_people import (KEYPOINT_MAPS, convert_real_sets,
                                                 map_keypoints, merge, to_coco17)
from tests.conftest import REAL_DATA_ROOT

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
COCO_NAMES = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
              'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
              'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle')
CROWDPOSE_NAMES = ('left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist',
                   'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee',
                   'left_ankle', 'right_ankle', 'head', 'neck')
MPII_NAMES = ('right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
              'pelvis', 'thorax', 'upper_neck', 'head_top', 'right_wrist', 'right_elbow',
              'right_shoulder', 'left_shoulder', 'left_elbow', 'left_wrist')


@pytest.mark.parametrize('fmt, names', [('crowdpose', CROWDPOSE_NAMES), ('mpii', MPII_NAMES),
                                        ('coco', COCO_NAMES)])
def test_keypoint_maps_follow_the_names(fmt, names):
    mapping = KEYPOINT_MAPS[fmt]
    assert len(mapping) == len(names)
    for src, dst in enumerate(mapping):
        if names[src] in COCO_NAMES:
            assert dst == COCO_NAMES.index(names[src]), names[src]
        else:
            assert dst is None, names[src]


def test_map_keypoints_crowdpose():
    kpts = np.array([[10 + i, 20 + i, 2 if i != 3 else 0] for i in range(14)], float)
    out = map_keypoints(kpts, 'crowdpose')
    assert out.shape == (17, 3)
    assert (out[:5] == 0).all()  # COCO's face: CrowdPose has none
    np.testing.assert_array_equal(out[5], [10, 20, 2])  # left shoulder
    np.testing.assert_array_equal(out[16], [21, 31, 2])  # right ankle
    np.testing.assert_array_equal(out[8], [0, 0, 0])  # right elbow, unlabelled in the source
    with pytest.raises(ValueError, match='14'):
        map_keypoints(np.zeros((17, 3)), 'crowdpose')


def test_crowdpose_file_without_area():
    data = dict(images=[dict(id=7, file_name='a.jpg', width=640, height=480)],
                annotations=[dict(id=3, image_id=7, category_id=1, bbox=[10, 20, 100, 200],
                                  iscrowd=0, keypoints=[5, 6, 2] * 12 + [1, 1, 1, 2, 2, 1]),
                             dict(id=4, image_id=7, category_id=2, bbox=[0, 0, 1, 1],
                                  keypoints=[0] * 42)])
    coco = to_coco17(data, 'crowdpose', prefix='crowdpose/')
    assert coco['images'] == [dict(id=7, width=640, height=480, file_name='crowdpose/a.jpg')]
    ann, = coco['annotations']  # the other category is dropped
    assert ann['image_id'] == 7 and ann['category_id'] == 1 and ann['bbox'] == [10, 20, 100, 200]
    assert ann['area'] == pytest.approx(100 * 200 * 0.53)  # no area in the file
    assert ann['num_keypoints'] == 12  # head and neck have no COCO counterpart
    assert len(ann['keypoints']) == 51 and ann['keypoints'][:15] == [0] * 15
    assert coco['categories'][0]['keypoints'] == list(COCO_NAMES)


def test_mpii_conversion():
    joints = [[100. + 10 * i, 200. + 5 * i] for i in range(16)]
    vis = [1] * 16
    vis[15] = 0  # left wrist unlabelled
    data = [dict(image='x.jpg', joints=joints, joints_vis=vis, center=[301., 401.], scale=2.0),
            dict(image='x.jpg', joints=joints, joints_vis=[1] * 16, center=[51., 61.], scale=1.)]
    coco = to_coco17(data, 'mpii', prefix='mpii/')
    assert coco['images'] == [dict(id=1, file_name='mpii/x.jpg')]
    a, b = coco['annotations']
    # MMPose's MpiiDataset box: a 400 px square, centre moved down by 15 x scale, 0-based
    assert a['bbox'] == [100., 230., 400., 400.]
    assert a['area'] == pytest.approx(400 * 400 * 0.53)
    k = np.array(a['keypoints']).reshape(17, 3)
    np.testing.assert_array_equal(k[16], [100, 200, 2])  # MPII 0: right ankle
    np.testing.assert_array_equal(k[5], [230, 265, 2])  # MPII 13: left shoulder
    np.testing.assert_array_equal(k[9], [0, 0, 0])  # MPII 15: left wrist, unlabelled
    assert (k[:5] == 0).all() and a['num_keypoints'] == 11 and b['num_keypoints'] == 12
    assert [x['id'] for x in coco['annotations']] == [1, 2]
    with pytest.raises(ValueError, match='MPII'):
        to_coco17(dict(images=[], annotations=[]), 'mpii')
    with pytest.raises(ValueError, match='unknown keypoint format'):
        to_coco17([], 'h36m')


def test_merge_renumbers():
    one = to_coco17(dict(images=[dict(id=5, file_name='a.jpg')], annotations=[dict(
        image_id=5, bbox=[0, 0, 10, 10], area=50, keypoints=[1, 1, 2] * 17)]), 'coco', 'p/')
    two = to_coco17([dict(image='b.jpg', joints=[[1, 1]] * 16, joints_vis=[1] * 16,
                          center=[50, 50], scale=0.5)], 'mpii', 'q/')
    pooled = merge(dict(one=one, two=two))
    assert [i['file_name'] for i in pooled['images']] == ['p/a.jpg', 'q/b.jpg']
    assert [i['id'] for i in pooled['images']] == [1, 2]
    assert [(a['id'], a['image_id']) for a in pooled['annotations']] == [(1, 1), (2, 2)]


def _fake_real_root(root: Path) -> Path:
    import cv2
    for folder in ('ochuman', 'crowdpose', 'mpii', 'coco'):
        (root / folder).mkdir(parents=True)
        cv2.imwrite(str(root / folder / '1.jpg'), np.zeros((48, 64, 3), np.uint8))
    coco = dict(images=[dict(id=1, file_name='1.jpg', width=64, height=64)],
                annotations=[dict(id=1, image_id=1, category_id=1, bbox=[1, 1, 30, 50],
                                  area=900, iscrowd=0, keypoints=[10, 10, 2] * 17)])
    (root / 'ochuman/test_ochuman.json').write_text(json.dumps(coco))
    (root / 'coco/test_coco.json').write_text(json.dumps(coco))
    crowd = dict(coco, annotations=[dict(coco['annotations'][0], keypoints=[10, 10, 2] * 14)])
    (root / 'crowdpose/test_crowdpose.json').write_text(json.dumps(crowd))
    (root / 'mpii/test_mpii.json').write_text(json.dumps([dict(
        image='1.jpg', joints=[[10, 10]] * 16, joints_vis=[1] * 16, center=[20, 20],
        scale=0.2)]))
    return root


def test_convert_real_sets(tmp_path):
    root = _fake_real_root(tmp_path / 'real')
    paths = convert_real_sets(root, tmp_path / 'out')
    assert set(paths) == {'ochuman', 'crowdpose', 'mpii', 'coco', 'all'}
    pooled = json.loads(paths['all'].read_text())
    assert len(pooled['images']) == len(pooled['annotations']) == 4
    assert sorted(a['num_keypoints'] for a in pooled['annotations']) == [12, 12, 17, 17]
    assert {i['file_name'] for i in pooled['images']} == {
        'ochuman/1.jpg', 'crowdpose/1.jpg', 'mpii/1.jpg', 'coco/1.jpg'}
    # image sizes: the files', and read from the image where MPII's file has none
    assert sorted((i['width'], i['height']) for i in pooled['images']) == \
        [(64, 48)] + [(64, 64)] * 3
    (root / 'mpii/1.jpg').unlink()
    with pytest.raises(FileNotFoundError, match='1.jpg'):
        convert_real_sets(root, tmp_path / 'out1')
    (root / 'mpii/test_mpii.json').unlink()
    with pytest.raises(FileNotFoundError, match='test_mpii.json'):
        convert_real_sets(root, tmp_path / 'out2')
    assert set(convert_real_sets(root, tmp_path / 'out3', ['ochuman'])) == {'ochuman'}
    with pytest.raises(ValueError, match='unknown'):
        convert_real_sets(root, tmp_path / 'out4', ['lsp'])


def test_coco_metric_ignores_unmapped_keypoints(tmp_path):
    """Ground-truth predictions on the mapped keypoints (anything on the others) score
    AP 1 with MMPose's CocoMetric on a converted file."""
    from mmpose.datasets import CocoDataset
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from mmpose.evaluation.metrics import CocoMetric
    root = _fake_real_root(tmp_path / 'real')
    ann_file = convert_real_sets(root, tmp_path / 'out', ['crowdpose'])['crowdpose']
    coco = json.loads(ann_file.read_text())
    metric = CocoMetric(ann_file=str(ann_file), outfile_prefix=str(tmp_path / 'pred'))
    metric.dataset_meta = parse_pose_metainfo(CocoDataset.METAINFO)
    for ann in coco['annotations']:
        kpts = np.array(ann['keypoints'], np.float32).reshape(1, 17, 3)
        pred = kpts[..., :2].copy()
        pred[0, kpts[0, :, 2] == 0] = 500.  # far off where nothing is labelled
        x, y, w, h = ann['bbox']
        metric.process([dict(inputs=None)], [dict(
            id=ann['id'], img_id=ann['image_id'], category_id=1, ori_shape=(64, 64),
            gt_instances=dict(bboxes=np.array([[x, y, x + w, y + h]], np.float32),
                              bbox_scores=np.ones(1, np.float32),
                              bbox_scales=np.array([[w, h]], np.float32) * 1.25),
            pred_instances=dict(keypoints=pred, bbox_scores=np.ones(1, np.float32),
                                keypoint_scores=np.ones((1, 17), np.float32)))])
    assert metric.evaluate(size=len(coco['annotations']))['coco/AP'] == pytest.approx(1.0)


def test_command_on_real_people(tmp_path):
    """A tiny run of tools/evaluate_on_real_people.py (randomly initialised small network,
    two real sets and their pool)."""
    if not (REAL_DATA_ROOT / 'ochuman' / 'test_ochuman.json').is_file():
        pytest.skip(f'real test data not found at {REAL_DATA_ROOT} (set HSJP_REAL_DATA)')
    import importlib.util

    import torch
    from mmpose.apis import init_model
    model = init_model(str(CONFIG), None, device='cpu')
    checkpoint = tmp_path / 'random.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    spec = importlib.util.spec_from_file_location('evaluate_on_real_people',
                                                  REPO / 'tools/evaluate_on_real_people.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    rows = tool.main([str(CONFIG), str(checkpoint), '--data-root', str(REAL_DATA_ROOT),
                      '--work-dir', str(tmp_path / 'work'), '--sets', 'ochuman', 'mpii'])
    assert [r['set'] for r in rows] == ['ochuman', 'mpii', 'all']
    for row in rows:
        assert row['people'] > 0 and row['keypoints'] > 0
        assert 0 <= row['pck'] <= 1 and 0 <= row['ap'] <= 1
    assert rows[2]['people'] == rows[0]['people'] + rows[1]['people']
    assert '| mpii |' in (tmp_path / 'work/results.md').read_text()
    with pytest.raises(SystemExit):
        tool.main([str(CONFIG), str(checkpoint), '--data-root', str(tmp_path / 'none')])
