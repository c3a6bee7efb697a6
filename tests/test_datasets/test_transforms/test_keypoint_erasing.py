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


def _old_keypoint_anchored_boxes(t, results):
    """The boxes ``RandomKeypointErasing`` drew before it had ``anchor`` (the algorithm
    as it was, drawing the same random numbers in the same order): per region the
    keypoint first (``candidates[randint]``), then the size, the aspect, the jitter, and
    the noise of the fill."""
    if np.random.rand() >= t.prob:
        return np.zeros((0, 4), np.float32)
    h, w = results['img'].shape[:2]
    kpts = np.asarray(results['transformed_keypoints'], np.float32)[..., :2]
    vis = np.asarray(results['keypoints_visible'], np.float32)
    usable = (vis > 0) & (kpts[..., 0] >= 0) & (kpts[..., 0] < w) & (kpts[..., 1] >= 0) & \
        (kpts[..., 1] < h)
    candidates = [tuple(c) for c in np.argwhere(usable)]
    if not candidates:
        return np.zeros((0, 4), np.float32)
    boxes = []
    for _ in range(np.random.randint(1, t.max_regions + 1)):
        n, k = candidates[np.random.randint(len(candidates))]
        side = np.random.uniform(*t.size_range) * min(h, w)
        aspect = np.exp(np.random.uniform(*np.log(t.aspect_range)))
        bw, bh = side * np.sqrt(aspect), side / np.sqrt(aspect)
        cx, cy = kpts[n, k] + np.random.uniform(-1, 1, 2) * t.center_jitter * \
            np.array([bw, bh])
        x1, y1 = int(round(max(cx - bw / 2, 0))), int(round(max(cy - bh / 2, 0)))
        x2, y2 = int(round(min(cx + bw / 2, w))), int(round(min(cy + bh / 2, h)))
        if x2 <= x1 or y2 <= y1:
            continue
        np.random.randint(0, 256, (y2 - y1, x2 - x1, 3))  # the noise fill
        boxes.append((x1, y1, x2, y2))
    return np.asarray(boxes, np.float32).reshape(-1, 4)


def _moved_results(results, rng):
    moved = dict(results)
    moved['transformed_keypoints'] = results['transformed_keypoints'] + rng.uniform(
        -6, 6, results['transformed_keypoints'].shape).astype(np.float32)
    return moved


def test_keypoint_anchor_gives_the_boxes_of_before():
    """``anchor='keypoint'`` (the default) draws the same random numbers in the same order
    as before ``anchor`` existed: 50 samples in a row from one seed give the old boxes
    (samples with two keypoints hidden, and one with every keypoint outside the input,
    among them)."""
    t = RandomKeypointErasing(prob=0.7, max_regions=3, size_range=(0.15, 0.4))
    assert t.anchor == 'keypoint' and "anchor='keypoint'" in repr(t)
    hidden = np.array([[1, 0, 1, 1, 0]], np.float32)
    samples = [_results() if i % 3 else _results(hidden.copy()) for i in range(50)]
    samples[7]['transformed_keypoints'] = samples[7]['transformed_keypoints'] + [[60., 0.]]
    np.random.seed(3)
    expected = [_old_keypoint_anchored_boxes(t, r) for r in samples]
    next_old = np.random.rand()
    np.random.seed(3)
    got = [t(dict(r, keypoints_visible=r['keypoints_visible'].copy()))['erased_boxes']
           for r in samples]
    assert np.random.rand() == next_old  # the same count of numbers drawn
    assert sum(len(b) for b in expected) > 40
    for want, have in zip(expected, got):
        np.testing.assert_array_equal(have, want)


def test_random_anchor_places_regions_whatever_the_keypoints():
    """``anchor='random'``: the same seed erases the same boxes (and pixels) wherever the
    keypoints are, also with none visible; the keypoints under a box become invisible."""
    t = RandomKeypointErasing(prob=1., max_regions=3, size_range=(0.2, 0.4), anchor='random')
    rng = np.random.default_rng(0)
    centres = []
    for seed in range(30):
        results = _results()
        outs = []
        for sample in (results, _moved_results(results, rng),
                       _results(np.zeros((1, 5), np.float32))):
            np.random.seed(seed)
            outs.append(t(dict(sample, keypoints_visible=sample['keypoints_visible'].copy())))
        for out in outs[1:]:
            np.testing.assert_array_equal(out['erased_boxes'], outs[0]['erased_boxes'])
            np.testing.assert_array_equal(out['img'], outs[0]['img'])
        for out in outs[:2]:
            boxes = out['erased_boxes']
            assert len(boxes) >= 1
            kpts = out['transformed_keypoints'][0]
            covered = np.zeros(5, bool)
            for x1, y1, x2, y2 in boxes:
                covered |= (kpts[:, 0] >= x1) & (kpts[:, 0] < x2) & (kpts[:, 1] >= y1) & \
                    (kpts[:, 1] < y2)
            np.testing.assert_array_equal(out['keypoints_visible'][0] == 0, covered)
        centres += [((x1 + x2) / 2, (y1 + y2) / 2) for x1, y1, x2, y2 in outs[0]['erased_boxes']]
    # anywhere in the 48 x 64 input, not only near the five keypoints
    centres = np.asarray(centres)
    assert centres[:, 0].min() < 10 and centres[:, 0].max() > 38
    assert centres[:, 1].min() < 10 and centres[:, 1].max() > 54
    with pytest.raises(ValueError, match='anchor'):
        RandomKeypointErasing(anchor='box')


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


def test_side_erasing_with_a_random_line_ignores_where_the_keypoints_are():
    """anchor='random': the erased side is the same wherever the keypoints are (same
    seed), inside the middle half of the input, and hides exactly the keypoints on it."""
    def moved():
        results = _results()
        results['transformed_keypoints'] = results['transformed_keypoints'] + np.float32(3.)
        return results

    for seed in range(20):
        boxes = []
        for results in (_results(), moved()):  # fresh: the transform writes into its input
            np.random.seed(seed)
            out = RandomSideErasing(prob=1., fill=0, anchor='random')(results)
            (x1, y1, x2, y2), = out['erased_boxes'].astype(int)
            line = x2 if x1 == 0 else x1
            assert 12 <= line <= 36 and (y1, y2) == (0, 64)
            xs = out['transformed_keypoints'][0, :, 0]
            np.testing.assert_array_equal(out['keypoints_visible'][0] == 0,
                                          (xs >= x1) & (xs < x2))
            boxes.append((x1, x2))
        assert boxes[0] == boxes[1]
    with pytest.raises(ValueError, match='anchor'):
        RandomSideErasing(anchor='keypoint')
