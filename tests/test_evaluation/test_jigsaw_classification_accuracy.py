# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
from mmpose.registry import METRICS

import hsjp_mmpose  # noqa: F401


def _sample(truth, scores=None, index=None):
    pred = {}
    if scores is not None:
        pred['permutation_scores'] = np.asarray(scores, dtype=np.float32)[None]
    if index is not None:
        pred['permutation_index'] = np.array([index])
    return dict(pred_instances=pred, jigsaw_permutation_index=truth)


def test_top1_and_top5_on_a_hand_made_case():
    metric = METRICS.build(dict(type='JigsawClassificationAccuracy'))
    scores = np.arange(8, dtype=np.float32)[::-1] / 10  # class 0 best, then 1, 2, ...
    metric.process([], [_sample(0, scores)])  # rank 0: top-1 and top-5
    metric.process([], [_sample(4, scores)])  # rank 4: top-5 only
    metric.process([], [_sample(5, scores)])  # rank 5: neither
    metric.process([], [_sample(7, np.eye(8)[7])])  # rank 0
    results = metric.evaluate(size=4)
    assert results == {'jigsaw-cls/top1': pytest.approx(2 / 4),
                       'jigsaw-cls/top5': pytest.approx(3 / 4)}


def test_ties_rank_the_lower_index_first():
    metric = METRICS.build(dict(type='JigsawClassificationAccuracy', topk=1))
    metric.process([], [_sample(1, [0.5, 0.5, 0.])])  # argmax picks class 0
    assert metric.evaluate(size=1) == {'jigsaw-cls/top1': 0.}


def test_topk_larger_than_the_classes_is_left_out():
    metric = METRICS.build(dict(type='JigsawClassificationAccuracy', topk=(1, 2, 5),
                                prefix='pre'))
    metric.process([], [_sample(2, [0.1, 0.2, 0.7]), _sample(0, [0.1, 0.2, 0.7])])
    assert metric.evaluate(size=2) == {'pre/top1': 0.5, 'pre/top2': 0.5}


def test_index_only_predictions_give_top1():
    metric = METRICS.build(dict(type='JigsawClassificationAccuracy'))
    metric.process([], [_sample(3, index=3), _sample(3, index=2)])
    assert metric.evaluate(size=2) == {'jigsaw-cls/top1': 0.5}


def test_errors_name_the_fix():
    metric = METRICS.build(dict(type='JigsawClassificationAccuracy'))
    with pytest.raises(KeyError, match='meta_keys'):
        metric.process([], [dict(pred_instances=dict(permutation_index=np.array([0])))])
    with pytest.raises(ValueError, match='permutations=N'):
        metric.process([], [_sample(-1, index=0)])
    with pytest.raises(KeyError, match='permutation_scores'):
        metric.process([], [_sample(0)])
    with pytest.raises(ValueError, match='topk'):
        METRICS.build(dict(type='JigsawClassificationAccuracy', topk=(0, )))
