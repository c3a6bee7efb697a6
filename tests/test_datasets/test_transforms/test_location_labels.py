# Copyright (c) hsjp-mmpose contributors.
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hsjp_mmpose.datasets.transforms.location_labels import (GeneratePresenceLabels,
                                                             SelectLocationLabels,
                                                             location_label_mask,
                                                             location_label_score)
from mmpose.datasets.transforms import PackPoseInputs


def _results(img_id=7, ann_id=70, num_keypoints=5):
    kpts = np.array([[[10., 20.], [-3., 5.], [50., 60.], [95., 127.], [96., 10.]]])
    return dict(
        img=np.zeros((128, 96, 3), np.uint8),
        img_id=img_id,
        id=ann_id,
        input_size=(96, 128),
        bbox=np.array([[0., 0., 96., 128.]], np.float32),
        keypoints=kpts[:, :num_keypoints],
        transformed_keypoints=kpts[:, :num_keypoints],
        keypoints_visible=np.array([[1., 1., 0., 1., 1.]], np.float32)[:, :num_keypoints],
        keypoint_weights=np.ones((1, num_keypoints), np.float32),
        heatmaps=np.zeros((num_keypoints, 32, 24), np.float32))


def test_presence_requires_visible_and_inside():
    out = GeneratePresenceLabels()(_results())
    # visible+inside, outside (x<0), invisible, inside the edge pixel, outside (x>w-1)
    np.testing.assert_array_equal(out['keypoint_presence'], [[1, 0, 0, 1, 0]])
    assert out['keypoint_presence'].dtype == np.float32
    out = GeneratePresenceLabels(inside_input=False)(_results())
    np.testing.assert_array_equal(out['keypoint_presence'], [[1, 1, 0, 1, 1]])


def test_presence_accepts_visibility_with_weights():
    res = _results()
    res['keypoints_visible'] = np.stack([res['keypoints_visible'],
                                         np.ones_like(res['keypoints_visible'])], -1)
    out = GeneratePresenceLabels()(res)
    np.testing.assert_array_equal(out['keypoint_presence'], [[1, 0, 0, 1, 0]])


def test_presence_errors_name_the_missing_key():
    res = _results()
    del res['transformed_keypoints']
    with pytest.raises(KeyError, match='transformed_keypoints'):
        GeneratePresenceLabels()(res)
    with pytest.raises(TypeError, match='inside_input'):
        GeneratePresenceLabels(inside_input='yes')


def test_labels_are_packed_into_gt_instance_labels():
    res = SelectLocationLabels(fraction=1.0)(GeneratePresenceLabels()(_results()))
    packed = PackPoseInputs()(res)['data_samples']
    labels = packed.gt_instance_labels
    assert labels.keypoint_presence.shape == (1, 5)
    assert labels.has_location_label.tolist() == [1.0]
    # PackPoseInputs' own labels are still packed
    assert labels.keypoint_weights.shape == (1, 5)


def test_codec_mapping_table_is_extended_not_replaced():
    res = _results()
    res['label_mapping_table'] = {'keypoint_labels': 'keypoint_labels'}
    res['keypoint_labels'] = np.zeros((1, 5, 2), np.float32)
    res = GeneratePresenceLabels()(res)
    assert res['label_mapping_table'] == {'keypoint_labels': 'keypoint_labels',
                                          'keypoint_presence': 'keypoint_presence'}


def test_score_is_deterministic_and_uniform():
    assert location_label_score(3, 4, seed=1) == location_label_score(3, 4, seed=1)
    assert location_label_score(3, 4, seed=1) != location_label_score(3, 4, seed=2)
    scores = np.array([location_label_score(i, 10 * i) for i in range(4000)])
    assert 0 <= scores.min() and scores.max() < 1
    assert abs(scores.mean() - 0.5) < 0.02


def test_mask_fraction_nesting_and_edges():
    ids = list(range(4000))
    m25 = location_label_mask(ids, ids, 0.25, seed=0)
    m50 = location_label_mask(ids, ids, 0.5, seed=0)
    assert abs(m25.mean() - 0.25) < 0.03
    assert np.all(m50[m25])  # the 25% subset lies inside the 50% one
    assert not location_label_mask(ids, ids, 0.0).any()
    assert location_label_mask(ids, ids, 1.0).all()
    assert not np.array_equal(m25, location_label_mask(ids, ids, 0.25, seed=1))
    with pytest.raises(ValueError, match='instance ids'):
        location_label_mask([1, 2], [1], 0.5)


def test_mask_does_not_depend_on_order():
    ids = list(range(500))
    perm = np.random.default_rng(0).permutation(500)
    mask = location_label_mask(ids, ids, 0.25)
    mask_perm = location_label_mask([ids[i] for i in perm], [ids[i] for i in perm], 0.25)
    np.testing.assert_array_equal(mask[perm], mask_perm)


def test_mask_is_the_same_in_another_process():
    """Python's str hash is salted per process; the selection must not be."""
    code = ('from hsjp_mmpose.datasets.transforms.location_labels import '
            'location_label_mask as m; ids = list(range(300)); '
            'print(\"\".join(str(int(v)) for v in m(ids, [str(i) for i in ids], 0.25, 3)))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONHASHSEED='random'),
                         cwd=Path(__file__).resolve().parents[2]).stdout.strip()
    ids = list(range(300))
    here = ''.join(str(int(v)) for v in location_label_mask(ids, [str(i) for i in ids],
                                                            0.25, 3))
    assert out == here


def test_select_transform_flags_and_zeroes_weights():
    ids = range(200)
    kept = location_label_mask(list(ids), [i + 1000 for i in ids], 0.25, seed=5)
    transform = SelectLocationLabels(fraction=0.25, seed=5)
    for i in ids:
        out = transform(_results(img_id=i, ann_id=i + 1000))
        assert out['has_location_label'].tolist() == [float(kept[i])]
        assert out['keypoint_weights'].any() == kept[i]
    out = SelectLocationLabels(fraction=0.0, zero_weights=False)(_results())
    assert out['has_location_label'].tolist() == [0.0]
    assert out['keypoint_weights'].all()


def test_select_transform_flags_each_instance_of_a_multi_instance_sample():
    ids = list(range(100, 140))
    kept = location_label_mask([3] * 40, ids, 0.5, seed=1)
    res = dict(img_id=3, id=ids, keypoint_weights=np.ones((40, 5), np.float32))
    out = SelectLocationLabels(fraction=0.5, seed=1)(res)
    np.testing.assert_array_equal(out['has_location_label'], kept.astype(np.float32))
    np.testing.assert_array_equal(out['keypoint_weights'].any(axis=1), kept)


@pytest.mark.parametrize('fraction', [-0.1, 1.5, '0.25', None])
def test_select_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match='fraction'):
        SelectLocationLabels(fraction=fraction)


def test_keypoint_cells_follow_the_codec():
    from hsjp_mmpose.datasets.transforms.location_labels import keypoint_cells
    # stride 4: x / 4 + 0.5 floored; 1.9 -> 0, 2.0 -> 1, 95 -> 24.25 clipped to 23
    cells = keypoint_cells(np.array([[1.9, 2.0], [2.0, 126.], [95., 0.]]), (96, 128),
                           (24, 32))
    np.testing.assert_array_equal(cells, [[0, 1], [1, 31], [23, 0]])


def test_region_presence_hand_computed(monkeypatch):
    from hsjp_mmpose.datasets.transforms.location_labels import GenerateRegionPresenceLabels
    transform = GenerateRegionPresenceLabels(num_regions=2)  # size of _results' heatmaps
    # cells of _results()' keypoints: (3, 5) present, (-1, 1) outside, (13, 15) not
    # visible, (24, 32) -> (23, 31) present on the edge, (24, 3) outside
    boxes = np.array([[[0., 0., 4., 6.], [3., 5., 24., 32.]]], np.float32)
    monkeypatch.setattr(transform, 'random_boxes', lambda num, size: boxes)
    out = transform(_results())
    np.testing.assert_array_equal(out['region_boxes'], boxes)
    np.testing.assert_array_equal(out['region_presence'], [[[1, 0, 0, 0, 0],
                                                            [1, 0, 0, 1, 0]]])
    assert out['region_presence'].dtype == np.float32
    packed = PackPoseInputs()(out)['data_samples'].gt_instance_labels
    assert packed.region_boxes.shape == (1, 2, 4)
    assert packed.region_presence.shape == (1, 2, 5)
    # a box that ends at x2 = 3 leaves out cell 3 (half-open)
    monkeypatch.setattr(transform, 'random_boxes',
                        lambda num, size: np.array([[[0., 0., 3., 6.], [0., 0., 24., 32.]]]))
    np.testing.assert_array_equal(transform(_results())['region_presence'],
                                  [[[0, 0, 0, 0, 0], [1, 0, 0, 1, 0]]])


def test_region_boxes_are_inside_the_map_and_sized_by_the_range():
    from hsjp_mmpose.datasets.transforms.location_labels import GenerateRegionPresenceLabels
    np.random.seed(0)
    transform = GenerateRegionPresenceLabels(num_regions=500, size_range=(0.25, 0.5))
    boxes = transform.random_boxes(2, (24, 32))
    assert boxes.shape == (2, 500, 4)
    width, height = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    assert width.min() >= 6 and width.max() <= 12 and height.min() >= 8 and height.max() <= 16
    assert boxes[..., :2].min() == 0 and boxes[..., 2].max() == 24 and boxes[..., 3].max() == 32
    with pytest.raises(ValueError, match='size_range'):
        GenerateRegionPresenceLabels(heatmap_size=(24, 32), size_range=(0.5, 1.5))
    with pytest.raises(ValueError, match='num_regions'):
        GenerateRegionPresenceLabels(heatmap_size=(24, 32), num_regions=0)
    with pytest.raises(KeyError, match='transformed_keypoints'):
        res = _results()
        del res['transformed_keypoints']
        GenerateRegionPresenceLabels(heatmap_size=(24, 32))(res)
    res = _results()
    del res['heatmaps']
    with pytest.raises(KeyError, match='heatmap_size'):
        GenerateRegionPresenceLabels()(res)
    assert GenerateRegionPresenceLabels(heatmap_size=(24, 32))(res)['region_boxes'].shape == \
        (1, 8, 4)
