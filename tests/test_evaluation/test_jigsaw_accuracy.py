# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
from mmpose.registry import METRICS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.codecs import cell_centers

GRID, INPUT_SIZE = (2, 3), (96, 64)  # rows, cols; (w, h)


def _sample(truth, pred, center=(300., 200.), scale=(150., 100.)):
    """A data sample as the Evaluator hands it over: predictions in image space."""
    kpts = cell_centers(GRID, INPUT_SIZE)[np.asarray(pred)]
    center, scale = np.array(center), np.array(scale)
    kpts = kpts / np.array(INPUT_SIZE) * scale + center - 0.5 * scale
    return dict(pred_instances=dict(keypoints=kpts[None], keypoint_scores=np.ones((1, 6))),
                jigsaw_permutation=np.asarray(truth, dtype=np.int64), jigsaw_grid=GRID,
                input_center=center, input_scale=scale, input_size=INPUT_SIZE)


def test_patch_and_puzzle_accuracy():
    metric = METRICS.build(dict(type='JigsawAccuracy'))
    truth = [3, 1, 0, 5, 2, 4]
    metric.process([], [_sample(truth, truth)])
    metric.process([], [_sample(truth, [1, 3, 0, 5, 2, 4])])  # two patches swapped
    metric.process([], [_sample([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], center=(10., 900.))])
    results = metric.evaluate(size=3)
    assert results['jigsaw/patch_accuracy'] == pytest.approx(16 / 18)
    assert results['jigsaw/puzzle_accuracy'] == pytest.approx(2 / 3)


def test_grid_argument_and_missing_keys():
    metric = METRICS.build(dict(type='JigsawAccuracy', grid=GRID, prefix='pre'))
    sample = _sample([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5])
    del sample['jigsaw_grid']
    metric.process([], [sample])
    assert metric.evaluate(1) == {'pre/patch_accuracy': 1.0, 'pre/puzzle_accuracy': 1.0}
    metric = METRICS.build(dict(type='JigsawAccuracy'))
    with pytest.raises(ValueError, match='grid'):
        metric.process([], [sample])
    del sample['jigsaw_permutation']
    with pytest.raises(KeyError, match='meta_keys'):
        metric.process([], [sample])
