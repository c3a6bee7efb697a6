# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
from mmpose.registry import METRICS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.evaluation.left_right import count_places, left_right_pairs, to_input_space

# nose, left/right wrist, left/right ankle; flip_indices swap the pairs
META = dict(flip_indices=[0, 2, 1, 4, 3], num_keypoints=5,
            keypoint_id2name={0: 'nose', 1: 'left_wrist', 2: 'right_wrist',
                              3: 'left_ankle', 4: 'right_ankle'})
INPUT_SIZE = (48, 64)  # (w, h): 12 x 16 heatmap cells at stride 4
CENTER, SCALE = np.array([100., 200.]), np.array([96., 128.])  # image = 2 x input


def _image(points):
    """Input-space points (K, 2) to image space (TopdownPoseEstimator's mapping)."""
    return np.asarray(points, float) / np.array(INPUT_SIZE) * SCALE + CENTER - 0.5 * SCALE


def _sample(pred, gt, visible=(1, 1, 1, 1, 1)):
    return dict(pred_instances=dict(keypoints=_image(pred)[None]),
                gt_instances=dict(keypoints=_image(gt)[None],
                                  keypoints_visible=np.asarray(visible, float)[None]),
                input_center=CENTER, input_scale=SCALE, input_size=INPUT_SIZE)


# true keypoints in input pixels: wrists 32 px (8 cells) apart, ankles 8 px (2 cells)
GT = [[24, 8], [40, 30], [8, 30], [28, 60], [20, 60]]


def test_to_input_space_inverts_the_image_mapping():
    np.testing.assert_allclose(to_input_space(_image(GT), _sample(GT, GT)), GT)


def test_pairs_come_from_flip_indices_with_left_first():
    assert left_right_pairs(META) == [('wrist', 1, 2), ('ankle', 3, 4)]
    swapped = dict(META, keypoint_id2name={0: 'nose', 1: 'right_wrist', 2: 'left_wrist',
                                           3: 'right_ankle', 4: 'left_ankle'})
    assert left_right_pairs(swapped) == [('wrist', 2, 1), ('ankle', 4, 3)]
    with pytest.raises(KeyError, match='flip_indices'):
        left_right_pairs({})


def test_left_right_accuracy_hand_computed():
    metric = METRICS.build(dict(type='LeftRightAccuracy', limbs=('wrist', 'ankle')))
    metric.dataset_meta = META
    right = [24, 8], [38, 30], [9, 30], [28, 60], [20, 60]
    swapped = [24, 8], [9, 30], [38, 30], [20, 60], [28, 60]
    # left wrist on the midpoint, 1 px towards the right one: nearer the right
    middle = [24, 8], [23, 30], [24, 30], [24, 60], [24, 60]
    metric.process([], [_sample(right, GT), _sample(swapped, GT), _sample(middle, GT),
                        _sample(right, GT, visible=(1, 0, 1, 1, 1))])
    results = metric.evaluate(4)
    # wrists: people 1-3 count (person 4's left wrist is not visible): right, wrong, wrong
    assert results['left_right/wrist'] == pytest.approx(1 / 3)
    # ankles are 2 cells apart, under min_separation 4: no person counts, no entry
    assert 'left_right/ankle' not in results
    assert results['left_right/min_limbs'] == pytest.approx(1 / 3)
    metric = METRICS.build(dict(type='LeftRightAccuracy', min_separation=2.))
    metric.dataset_meta = META
    metric.process([], [_sample(right, GT), _sample(swapped, GT)])
    assert metric.evaluate(2)['left_right/ankle'] == pytest.approx(0.5)


def test_count_places_counts_codec_cells():
    # cells floor(p + 0.5): (0, 0), (0, 0), (1, 0), (5, 5), (5, 5)
    points = np.array([[0.2, 0.], [-0.4, 0.49], [0.5, 0.], [5., 5.], [5.3, 4.6]])
    assert count_places(points) == 3
    assert count_places(points[:0]) == 0


def test_peak_places_hand_computed():
    metric = METRICS.build(dict(type='PeakPlaces'))
    metric.dataset_meta = META
    # predictions in cells: nose (6, 2), both wrists (6, 7.5) -> cell (6, 8), ankles
    # (6, 15) and (6.5, 15) -> (7, 15): 4 places; truth: 5 places
    pred = [[24, 8], [24, 30], [24, 30], [24, 60], [26, 60]]
    metric.process([], [_sample(pred, GT), _sample(GT, GT, visible=(1, 1, 1, 0, 1))])
    results = metric.evaluate(2)
    # person 2 (left ankle not visible): predicted = true = 4 places
    assert results['peaks/places'] == pytest.approx((4 + 4) / 2)
    assert results['peaks/places_gt'] == pytest.approx((5 + 4) / 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match='stride'):
        METRICS.build(dict(type='LeftRightAccuracy', stride=0))
    with pytest.raises(ValueError, match='stride'):
        METRICS.build(dict(type='PeakPlaces', stride=-1))
    with pytest.raises(KeyError, match='input_center'):
        to_input_space(np.zeros((1, 2)), {})
