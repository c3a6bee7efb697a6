# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
import torch
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.jigsaw import cell_centers
from hsjp_mmpose.jigsaw import maximal_hamming_permutations
from hsjp_mmpose.models.heads import JigsawClassificationHead

GRID, INPUT_SIZE, N = (2, 2), (96, 128), 24


def _head(**kwargs):
    cfg = dict(type='JigsawClassificationHead', in_channels=16, num_permutations=N, grid=GRID,
               hidden_channels=32)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def _samples(labels):
    return [PoseDataSample(metainfo=dict(jigsaw_permutation_index=label,
                                         input_size=INPUT_SIZE)) for label in labels]


@pytest.mark.parametrize('pooling', ['global', 'cell'])
@pytest.mark.parametrize('hidden', [32, None])
def test_forward_shapes(pooling, hidden):
    head = _head(pooling=pooling, hidden_channels=hidden)
    feats = (torch.randn(2, 8, 8, 6), torch.randn(3, 16, 4, 3))
    assert head(feats).shape == (3, N)
    assert head(feats[-1]).shape == (3, N)


def test_loss_is_finite_and_accuracy_logged():
    torch.manual_seed(0)
    head = _head(pooling='cell')
    feats = (torch.randn(4, 16, 4, 3, requires_grad=True), )
    losses = head.loss(feats, _samples([0, 5, 23, 7]))
    assert set(losses) == {'loss_jigsaw_cls', 'acc_permutation'}
    assert torch.isfinite(losses['loss_jigsaw_cls'])
    # small initial weights: the loss starts near log(N)
    assert losses['loss_jigsaw_cls'].item() == pytest.approx(np.log(N), rel=0.05)
    assert 0 <= losses['acc_permutation'].item() <= 1
    losses['loss_jigsaw_cls'].backward()
    assert feats[0].grad is not None and feats[0].grad.abs().sum() > 0


def test_accuracy_counts_samples_whose_argmax_is_the_label():
    head = _head(hidden_channels=None)
    labels = [3, 17]
    with torch.no_grad():
        head.classifier[-1].weight.zero_()
        head.classifier[-1].bias.zero_()
        head.classifier[-1].bias[3] = 5.
    losses = head.loss((torch.randn(2, 16, 4, 3), ), _samples(labels))
    assert losses['acc_permutation'].item() == pytest.approx(0.5)


def test_predict_gives_index_scores_and_cell_keypoints():
    head = _head(permutation_seed=3)
    preds = head.predict((torch.randn(2, 16, 4, 3), ), _samples([0, 0]),
                         test_cfg=dict(flip_test=False))
    permutations = maximal_hamming_permutations(4, N, 3)
    centers = cell_centers(GRID, INPUT_SIZE)
    assert len(preds) == 2
    for pred in preds:
        index = int(pred.permutation_index[0])
        assert pred.permutation_scores.shape == (1, N)
        assert pred.permutation_scores.sum() == pytest.approx(1., abs=1e-5)
        assert index == int(pred.permutation_scores[0].argmax())
        assert pred.keypoints.shape == (1, 4, 2)
        np.testing.assert_allclose(pred.keypoints[0], centers[permutations[index]])
        assert pred.keypoint_scores.shape == (1, 4)


def test_label_errors_name_the_fix():
    head = _head()
    feats = (torch.randn(1, 16, 4, 3), )
    with pytest.raises(KeyError, match='meta_keys'):
        head.loss(feats, [PoseDataSample(metainfo=dict(input_size=INPUT_SIZE))])
    with pytest.raises(ValueError, match="permutations='all'"):
        head.loss(feats, _samples([-1]))
    with pytest.raises(ValueError, match='flip_test'):
        head.predict(feats, _samples([0]), test_cfg=dict(flip_test=True))


@pytest.mark.parametrize('kwargs, match', [
    (dict(pooling='max'), 'pooling'),
    (dict(num_permutations=25), 'num_permutations'),  # more than 4! = 24
    (dict(in_channels=0), 'in_channels'),
    (dict(hidden_channels=0), 'hidden_channels'),
    (dict(dropout=1.), 'dropout'),
])
def test_rejects_bad_arguments(kwargs, match):
    cfg = dict(in_channels=16, num_permutations=N, grid=GRID)
    cfg.update(kwargs)
    with pytest.raises(ValueError, match=match):
        JigsawClassificationHead(**cfg)
