# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from hsjp_mmpose.models.heads.location_free_head import LocationFreeHead, pool_cams
from mmpose.structures import PoseDataSample

K = 5
CODEC = dict(type='MSRAHeatmap', input_size=(48, 64), heatmap_size=(12, 16), sigma=2)


def _head(**kwargs):
    cfg = dict(in_channels=(8, 16), num_keypoints=K, embed_dims=16,
               context_encoder=dict(type='SpatialGuidedContextEncoder', num_layers=1,
                                    num_heads=2),
               prototype_generator=dict(type='RelationPrototypeGenerator', num_layers=1,
                                        num_heads=2),
               decoder=CODEC)
    cfg.update(kwargs)
    return LocationFreeHead(**cfg)


def _feats(batch=2):
    return (torch.randn(batch, 8, 16, 12), torch.randn(batch, 16, 8, 6))


def _samples(located, seed=0):
    rng = np.random.default_rng(seed)
    samples = []
    for flag in located:
        s = PoseDataSample(metainfo=dict(flip_indices=[0, 2, 1, 4, 3], input_size=(48, 64),
                                         input_center=np.array([24., 32.]),
                                         input_scale=np.array([48., 64.])))
        s.gt_instance_labels = InstanceData(
            keypoint_presence=torch.tensor(rng.integers(0, 2, (1, K)), dtype=torch.float32),
            keypoint_weights=torch.ones(1, K),
            has_location_label=torch.tensor([float(flag)]))
        s.gt_fields = PixelData(heatmaps=torch.tensor(rng.random((K, 16, 12)),
                                                      dtype=torch.float32))
        samples.append(s)
    return samples


@pytest.mark.parametrize('context, prototypes', [(True, True), (False, True),
                                                 (True, False), (False, False)])
@pytest.mark.parametrize('similarity', ['dot', 'cosine'])
def test_forward_shapes_with_parts_switched_off(context, prototypes, similarity):
    kwargs = dict(similarity=similarity)
    if not context:
        kwargs['context_encoder'] = None
    if not prototypes:
        kwargs['prototype_generator'] = None
    cams, logits = _head(**kwargs)(_feats())
    assert cams.shape == (2, K, 16, 12) and logits.shape == (2, K)


def test_in_index_selects_one_scale():
    head = _head(in_index=1, context_encoder=None)
    cams, _ = head(_feats())
    assert cams.shape == (2, K, 8, 6)


@pytest.mark.parametrize('mode', ['gap', 'topk', 'lse'])
def test_pooling(mode):
    cams = torch.zeros(1, 2, 10, 10)
    cams[0, 0, 3, 3] = 10.
    pooled = pool_cams(cams, mode, topk_ratio=0.01, lse_r=5.)
    assert pooled.shape == (1, 2) and pooled[0, 0] > pooled[0, 1] == 0
    if mode == 'gap':
        assert torch.isclose(pooled[0, 0], torch.tensor(0.1))
    if mode == 'topk':
        assert torch.isclose(pooled[0, 0], torch.tensor(10.))
    with pytest.raises(ValueError, match='pooling'):
        pool_cams(cams, 'max')


def test_gradients_reach_prototypes_and_all_parts():
    head = _head()
    losses = head.loss(_feats(), _samples([1, 0]))
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    for name in ('prototype_generator.prototypes', 'prototype_generator.keypoint_embed',
                 'context_encoder.part_classifier.weight', 'fusion.lateral_convs.1.conv.weight',
                 'logit_bias', 'cam_projection.weight'):
        grad = dict(head.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_static_prototypes_receive_gradients_from_presence_alone():
    head = _head(prototype_generator=None)
    losses = head.loss(_feats(), _samples([0, 0]))
    losses['loss_presence'].backward()
    assert head.static_prototypes.grad.abs().sum() > 0


def test_location_loss_uses_only_located_instances():
    torch.manual_seed(0)
    head = _head().eval()  # eval: BN statistics do not depend on the batch mix
    feats = _feats()
    samples = _samples([1, 0])
    base = head.loss(feats, samples)['loss_heatmap']
    samples[1].gt_fields.heatmaps = torch.rand(K, 16, 12)  # weak-only: ignored
    assert torch.isclose(head.loss(feats, samples)['loss_heatmap'], base)
    samples[0].gt_fields.heatmaps = torch.rand(K, 16, 12)  # located: counted
    assert not torch.isclose(head.loss(feats, samples)['loss_heatmap'], base)
    # the loss is the mean over the located instances only, not diluted by weak ones
    only = head.loss(tuple(f[:1] for f in feats), samples[:1])['loss_heatmap']
    assert torch.isclose(head.loss(feats, samples)['loss_heatmap'], only)


def test_weak_only_batch_has_zero_location_loss_and_backpropagates():
    head = _head()
    losses = head.loss(_feats(), _samples([0, 0]))
    assert losses['loss_heatmap'].item() == 0 and 'acc_pose' not in losses
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert 0 <= losses['acc_presence'] <= 1


def test_missing_presence_labels_are_reported():
    samples = _samples([1])
    del samples[0].gt_instance_labels.keypoint_presence
    samples[0].gt_instance_labels.keypoint_weights = torch.ones(1, K)
    with pytest.raises(KeyError, match='GeneratePresenceLabels'):
        _head().loss(_feats(1), samples)


def test_decode_synthetic_cam_with_known_peak():
    """A Gaussian CAM peaked between pixels decodes to its peak, refined sub-pixel."""
    head = _head(score_mode='peak')
    ys, xs = np.mgrid[:16, :12]
    peak = (7.3, 4.0)  # (x, y) in CAM pixels
    cam = np.exp(-((xs - peak[0])**2 + (ys - peak[1])**2) / (2 * 1.5**2))
    cams = torch.tensor(np.repeat(cam[None, None], K, axis=1), dtype=torch.float32)
    preds = head.decode(cams)
    kpts = preds[0].keypoints[0]  # input space: 4x the CAM grid
    np.testing.assert_allclose(kpts[:, 0], 4 * 7.25, atol=1e-4)  # quarter-pixel shift
    np.testing.assert_allclose(kpts[:, 1], 4 * 4.0, atol=1e-4)
    np.testing.assert_allclose(preds[0].keypoint_scores, cam.max(), rtol=1e-5)


def test_predict_scores_combine_peak_and_presence():
    head = _head().eval()
    feats = _feats()
    with torch.no_grad():
        cams, logits = head(feats)
        preds = head.predict(feats, _samples([1, 1]))
    prob = logits.sigmoid().numpy()
    peak = cams.flatten(2).amax(-1).clamp(0, 1).numpy()
    for i, pred in enumerate(preds):
        assert pred.keypoints.shape == (1, K, 2)
        np.testing.assert_allclose(pred.keypoint_scores[0], peak[i] * prob[i], rtol=1e-5)


def test_predict_flip_test_and_output_heatmaps():
    head = _head().eval()
    feats = _feats()
    flipped = tuple(f.flip(-1) for f in feats)
    with torch.no_grad():
        preds, fields = head.predict([feats, flipped], _samples([1, 1]),
                                     test_cfg=dict(flip_test=True, output_heatmaps=True))
    assert len(preds) == 2 and fields[0].heatmaps.shape == (K, 16, 12)
    with pytest.raises(ValueError, match='flip test'):
        head.predict(feats, _samples([1, 1]), test_cfg=dict(flip_test=True))


def test_cams_start_flat_and_presence_starts_unsure():
    cams, logits = _head().eval()(_feats())
    assert cams.abs().max() < 0.05
    assert logits.abs().max() < 0.3


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match='pooling'):
        _head(pooling='max')
    with pytest.raises(ValueError, match='score_mode'):
        _head(score_mode='mean')
    with pytest.raises(ValueError, match='in_index'):
        _head(in_index=3)
