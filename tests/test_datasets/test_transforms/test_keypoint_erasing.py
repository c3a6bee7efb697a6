# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest

from hsjp_mmpose.datasets.transforms.keypoint_erasing import (RandomKeypointErasing,
                                                             RandomSideErasing)
from mmpose.registry import TRANSFORMS

FLIP = [0, 2, 1, 4, 3]


def _results(visible=None):
    img = np.full((64, 48, 3), 100, np.uint8)
    kpts = np.array([[[24., 10.], [18., 20.], [30., 20.], [16., 50.], [32., 50.]]],
                    np.float32)
    return dict(img=img, transformed_keypoints=kpts, flip_indices=FLIP,
                keypoints_visible=np.ones((1, 5), np.float32) if visible is None else visible)


def test_keypoint_erasing_marks_covered_keypoints_absent():
    np.random.seed(0)
    t = RandomKeypointErasing(prob=1., max_regions=3, size_range=(0.2, 0.3), fill=0)
    for _ in range(20):
        out = t(_results())
        boxes = out['erased_boxes']
        assert len(boxes) >= 1
        for x1, y1, x2, y2 in boxes.astype(int):
            assert (out['img'][y1:y2, x1:x2] == 0).all()
        kpts = out['transformed_keypoints'][0]
        covered = np.zeros(5, bool)
        for x1, y1, x2, y2 in boxes:
            covered |= (kpts[:, 0] >= x1) & (kpts[:, 0] < x2) & (kpts[:, 1] >= y1) & \
                (kpts[:, 1] < y2)
        np.testing.assert_array_equal(out['keypoints_visible'][0] == 0, covered)


def test_keypoint_erasing_prob_zero_and_bad_arguments():
    out = RandomKeypointErasing(prob=0.)(_results())
    assert (out['img'] == 100).all() and out['erased_boxes'].shape == (0, 4)
    for kwargs in (dict(prob=2), dict(max_regions=0), dict(size_range=(0.5, 0.2)),
                   dict(fill='blur')):
        with pytest.raises(ValueError):
            RandomKeypointErasing(**kwargs)
    with pytest.raises(KeyError, match='TopdownAffine'):
        RandomKeypointErasing()(dict(img=np.zeros((4, 4, 3), np.uint8)))


def test_side_erasing_splits_a_pair():
    """Every erasing removes exactly one keypoint of the chosen pair, with everything on
    its side of the line, and leaves the other side untouched."""
    np.random.seed(1)
    t = RandomSideErasing(prob=1., fill=0)
    sides = set()
    for _ in range(40):
        out = t(_results())
        (x1, y1, x2, y2), = out['erased_boxes'].astype(int)
        assert (y1, y2) == (0, 64) and (x1 == 0) != (x2 == 48)
        assert (out['img'][:, x1:x2] == 0).all() and (np.delete(
            out['img'], np.s_[x1:x2], axis=1) == 100).all()
        xs = out['transformed_keypoints'][0, :, 0]
        absent = out['keypoints_visible'][0] == 0
        np.testing.assert_array_equal(absent, (xs >= x1) & (xs < x2))
        # the line lies between the two keypoints of a pair: one of each such pair is gone
        split = [absent[k] != absent[j] for k, j in enumerate(FLIP) if k < j]
        assert any(split)
        sides.add(x1 == 0)
    assert sides == {True, False}


def test_side_erasing_needs_a_visible_pair_and_flip_indices():
    visible = np.array([[1, 1, 0, 0, 1]], np.float32)  # no pair with both visible
    out = RandomSideErasing(prob=1.)(_results(visible))
    assert out['erased_boxes'].shape == (0, 4) and (out['img'] == 100).all()
    results = _results()
    del results['flip_indices']
    with pytest.raises(KeyError, match='flip_indices'):
        RandomSideErasing()(results)


def test_registered():
    assert TRANSFORMS.get('RandomSideErasing') is RandomSideErasing
    assert TRANSFORMS.get('RandomKeypointErasing') is RandomKeypointErasing
