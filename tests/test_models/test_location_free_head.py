# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from hsjp_mmpose.models.heads.location_free import CAMPooling, pool_cams
from hsjp_mmpose.models.heads.location_free_head import LocationFreeHead
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
    with pytest.raises(ValueError, match='cam_pooling mode'):
        _head(cam_pooling=dict(type='CAMPooling', mode='max'))
    with pytest.raises(ValueError, match='topk_ratio'):
        _head(cam_pooling=dict(type='CAMPooling', topk_ratio=0.))
    with pytest.raises(ValueError, match=r"unknown keys \['part_loss_weight'\]"):
        _head(presence_cfg=dict(part_loss_weight=0.))
    with pytest.raises(ValueError, match='presence_cfg.input'):
        _head(presence_cfg=dict(input='cams'))
    with pytest.raises(ValueError, match='loss_weight=0.'):
        _head(presence_cfg=dict(loss=None))
    with pytest.raises(ValueError, match='score_mode'):
        _head(score_mode='mean')
    with pytest.raises(ValueError, match='in_index'):
        _head(in_index=3)


FLIP_INDICES = [0, 2, 1, 4, 3]


def _flip_back_by_hand(cams, shift):
    """Flipped-batch CAMs back in the original frame, by explicit indexing: width
    reversed, channel k taken from its mirror ``FLIP_INDICES[k]`` and, with ``shift``
    (MMPose's ``shift_heatmap``), moved one pixel right (column 0 kept)."""
    B, C, H, W = cams.shape
    out = torch.empty_like(cams)
    for b in range(B):
        for k in range(C):
            for y in range(H):
                for x in range(W):
                    src_x = max(x - 1, 0) if shift else x
                    out[b, k, y, x] = cams[b, FLIP_INDICES[k], y, W - 1 - src_x]
    return out


def _fake_forward(monkeypatch, head, outputs):
    """Make ``head.forward`` return fixed (cams, logits) for the given feature tuples."""
    calls = []

    def forward(feats):
        calls.append(feats)
        for key, value in outputs:
            if feats is key:
                return value
        raise AssertionError('forward called with unexpected features')

    monkeypatch.setattr(head, 'forward', forward)
    return calls


def test_predict_flip_test_hand_made_case(monkeypatch):
    """One CAM peak and one logit in the flipped batch land on the mirror keypoint, at
    the mirrored column, averaged with the original batch."""
    head = _head(score_mode='presence').eval()
    feats, flipped = _feats(1), _feats(1)
    cams = torch.zeros(1, K, 16, 12)
    cams_flip = torch.zeros(1, K, 16, 12)
    cams_flip[0, 1, 2, 0] = 1.  # keypoint 1 (mirror of 2) at x=0 of the flipped image
    cams_flip[0, 3, 5, 4] = 0.6  # keypoint 3 (mirror of 4) at x=4
    logits = torch.zeros(1, K)
    logits_flip = torch.tensor([[0., 4., 0., -2., 0.]])
    calls = _fake_forward(monkeypatch, head,
                          [(feats, (cams, logits)), (flipped, (cams_flip, logits_flip))])
    preds, fields = head.predict([feats, flipped], _samples([1]),
                                 test_cfg=dict(flip_test=True, output_heatmaps=True))
    assert len(calls) == 2
    expected = torch.zeros(K, 16, 12)
    expected[2, 2, 11] = 0.5  # x = W - 1 - 0
    expected[4, 5, 7] = 0.3  # x = W - 1 - 4
    torch.testing.assert_close(fields[0].heatmaps, expected)
    # presence logits are swapped by flip_indices too before averaging
    expected_logits = torch.tensor([0., 0., 2., 0., -1.])
    np.testing.assert_allclose(preds[0].keypoint_scores[0],
                               expected_logits.sigmoid().numpy(), rtol=1e-6)


@pytest.mark.parametrize('shift_heatmap', [False, True])
@pytest.mark.parametrize('score_mode', ['presence', 'product'])
def test_predict_flip_test_merges_flipped_back_cams_and_logits(monkeypatch, shift_heatmap,
                                                             score_mode):
    torch.manual_seed(0)
    head = _head(score_mode=score_mode).eval()
    feats, flipped = _feats(2), _feats(2)
    # asymmetric, different per keypoint and per sample
    cams = torch.rand(2, K, 16, 12)
    cams_flip = torch.rand(2, K, 16, 12) + torch.arange(K)[None, :, None, None]
    logits = torch.randn(2, K)
    logits_flip = torch.randn(2, K) * 3 + torch.arange(K)[None]
    _fake_forward(monkeypatch, head,
                  [(feats, (cams, logits)), (flipped, (cams_flip, logits_flip))])
    preds, fields = head.predict(
        [feats, flipped], _samples([1, 1]),
        test_cfg=dict(flip_test=True, shift_heatmap=shift_heatmap, output_heatmaps=True))

    merged = 0.5 * (cams + _flip_back_by_hand(cams_flip, shift_heatmap))
    merged_logits = 0.5 * (logits + logits_flip[:, FLIP_INDICES])
    prob = merged_logits.sigmoid().numpy()
    decoded = head.decode(merged)
    for i in range(2):
        torch.testing.assert_close(fields[i].heatmaps, merged[i])
        np.testing.assert_allclose(preds[i].keypoints, decoded[i].keypoints, rtol=1e-6)
        if score_mode == 'presence':
            np.testing.assert_allclose(preds[i].keypoint_scores[0], prob[i], rtol=1e-6)
        else:
            peak = merged[i].flatten(1).amax(-1).clamp(0, 1).numpy()
            np.testing.assert_allclose(preds[i].keypoint_scores[0], peak * prob[i],
                                       rtol=1e-5)
    # the unpermuted logits would give different scores: the check has teeth
    wrong = (0.5 * (logits + logits_flip)).sigmoid().numpy()
    assert not np.allclose(prob, wrong)


def _multi_instance_samples(counts):
    samples = []
    for n in counts:
        s = PoseDataSample(metainfo=dict(flip_indices=FLIP_INDICES))
        s.gt_instance_labels = InstanceData(
            keypoint_presence=torch.ones(n, K), keypoint_weights=torch.ones(n, K),
            has_location_label=torch.ones(n))
        s.gt_fields = PixelData(heatmaps=torch.rand(K, 16, 12))
        samples.append(s)
    return samples


def test_loss_rejects_samples_with_several_instances():
    head = _head()
    with pytest.raises(ValueError) as err:
        head.loss(_feats(3), _multi_instance_samples([1, 2, 1]))
    msg = str(err.value)
    assert 'sample 1' in msg and '2 instances' in msg
    assert 'top-down' in msg and 'one instance per sample' in msg
    assert "data_mode='topdown'" in msg
    with pytest.raises(ValueError, match='sample 0 holds 0 instances'):
        head.loss(_feats(1), _multi_instance_samples([0]))


def _fake_loss_forward(monkeypatch, head, batch):
    """``_forward`` returning all-zero CAMs, so the heatmap loss is set by the targets."""
    def _forward(feats):
        cams = torch.zeros(batch, K, 16, 12, requires_grad=True)
        return dict(cams=cams, logits=torch.zeros(batch, K), part_logits=None)

    monkeypatch.setattr(head, '_forward', _forward)


def test_location_mask_selects_flagged_samples(monkeypatch):
    """Several samples, one instance each: only those flagged take the heatmap loss,
    with their own keypoint weights."""
    head = _head()
    _fake_loss_forward(monkeypatch, head, 5)
    samples = _samples([0, 1, 0, 1, 0])
    values = [5., 1., 7., 2., 9.]  # constant targets; CAMs are zero
    for s, v in zip(samples, values):
        s.gt_fields.heatmaps = torch.full((K, 16, 12), v)
    samples[3].gt_instance_labels.keypoint_weights = torch.tensor([[0., 1., 1., 1., 1.]])
    samples[0].gt_instance_labels.keypoint_weights = torch.zeros(1, K)  # unflagged
    losses = head.loss(_feats(5), samples)
    # KeypointMSELoss: mean over (located samples, K, H, W) of w * (cam - target)^2
    expected = (K * 1.**2 + (K - 1) * 2.**2) / (2 * K)
    assert losses['loss_heatmap'].item() == pytest.approx(expected)
    assert 'acc_pose' in losses

    # flip the flags: now samples 0, 2 and 4 (weights of sample 0 are zero)
    for s, flag in zip(samples, [1, 0, 1, 0, 1]):
        s.gt_instance_labels.has_location_label = torch.tensor([float(flag)])
    expected = (0. + K * 7.**2 + K * 9.**2) / (3 * K)
    assert head.loss(_feats(5), samples)['loss_heatmap'].item() == pytest.approx(expected)


def test_location_mask_without_flags_uses_samples_with_heatmaps(monkeypatch):
    head = _head()
    _fake_loss_forward(monkeypatch, head, 3)
    samples = _samples([1, 1, 1])
    for s, v in zip(samples, [1., 2., 3.]):
        del s.gt_instance_labels.has_location_label
        s.gt_fields.heatmaps = torch.full((K, 16, 12), v)
    expected = (1. + 4. + 9.) / 3
    assert head.loss(_feats(3), samples)['loss_heatmap'].item() == pytest.approx(expected)


def test_presence_loss_only_on_weak_samples_when_asked(monkeypatch):
    """``presence_on_located=False``: the presence BCE is the mean over the samples
    without location labels; with none of them it is a zero that keeps the graph."""
    head = _head(presence_cfg=dict(on_located=False, part_loss=None))
    logits = torch.tensor([[3., -1., 0., 2., 1.], [0., 0., 0., 0., 0.], [-2., 1., 1., 0., 4.]])

    def _forward(feats):
        return dict(cams=torch.zeros(3, K, 16, 12, requires_grad=True), logits=logits,
                    part_logits=None)

    monkeypatch.setattr(head, '_forward', _forward)
    samples = _samples([1, 0, 1])
    presence = torch.cat([s.gt_instance_labels.keypoint_presence for s in samples])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    losses = head.loss(_feats(3), samples)
    assert losses['loss_presence'].item() == pytest.approx(bce(logits[1:2], presence[1:2]).item())

    head.presence_on_located = True  # the paper's loss: every sample
    assert head.loss(_feats(3), samples)['loss_presence'].item() == pytest.approx(
        bce(logits, presence).item())

    head.presence_on_located = False
    located = _samples([1, 1, 1])
    losses = head.loss(_feats(3), located)
    assert losses['loss_presence'].item() == 0


def test_presence_loss_on_pooled_peaks(monkeypatch):
    """``presence_loss_input='peaks'``: ``loss_presence`` compares the pooled CAM values
    (here max pooling) with the labels, e.g. MSE towards a peak of 1 / an all-low map."""
    head = _head(presence_cfg=dict(input='peaks', loss=dict(type='MSELoss'), part_loss=None),
                 cam_pooling=dict(type='CAMPooling', mode='topk', topk_ratio=1e-3))
    cams = torch.zeros(2, K, 16, 12)
    cams[0, :, 3, 4] = torch.tensor([1., 0.5, 2., 0., 1.])
    cams[1, :, 7, 7] = 0.25

    def _forward(feats):
        return dict(cams=cams.clone().requires_grad_(), logits=torch.zeros(2, K),
                    part_logits=None)

    monkeypatch.setattr(head, '_forward', _forward)
    samples = _samples([0, 0])
    presence = torch.cat([s.gt_instance_labels.keypoint_presence for s in samples])
    peaks = cams.flatten(2).max(-1).values
    expected = ((peaks - presence)**2).mean()
    assert head.loss(_feats(2), samples)['loss_presence'].item() == pytest.approx(
        expected.item())


def test_cam_pooling_is_pool_cams_bound_once():
    cams = torch.randn(2, K, 16, 12)
    for cfg in (dict(mode='gap'), dict(mode='topk', topk_ratio=0.1), dict(mode='lse', lse_r=3.)):
        pooling = CAMPooling(**cfg)
        torch.testing.assert_close(pooling(cams), pool_cams(cams, **cfg), rtol=0, atol=0)
        assert cfg['mode'] in repr(pooling)
    head = _head(cam_pooling=dict(type='CAMPooling', mode='lse', lse_r=2.)).eval()
    with torch.no_grad():
        cams, logits = head(_feats())
        expected = pool_cams(cams, 'lse', lse_r=2.) * head.logit_log_scale.exp() + head.logit_bias
    torch.testing.assert_close(logits, expected)


def test_part_loss_is_its_own_setting(monkeypatch):
    """The part maps' loss is ``presence_cfg.part_loss`` whatever ``loss`` and ``input``
    are: changing the presence loss never changes the part loss."""
    part_logits = torch.randn(2, K, 16, 12)
    cams = torch.randn(2, K, 16, 12)
    samples = _samples([0, 0])
    presence = torch.cat([s.gt_instance_labels.keypoint_presence for s in samples])
    part = pool_cams(part_logits, 'topk', topk_ratio=0.05)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    results = []
    for presence_cfg in (dict(input='logits', loss=dict(type='BCELoss', loss_weight=0.01)),
                         dict(input='peaks', loss=dict(type='MSELoss', loss_weight=3.))):
        head = _head(presence_cfg=dict(presence_cfg,
                                       part_loss=dict(type='BCELoss', loss_weight=0.2)))

        def _forward(feats):
            return dict(cams=cams, logits=torch.zeros(2, K), part_logits=part_logits)

        monkeypatch.setattr(head, '_forward', _forward)
        losses = head.loss(_feats(2), samples)
        results.append(losses['loss_part_presence'].item())
        assert results[-1] == pytest.approx(0.2 * bce(part, presence).item(), rel=1e-6)
    assert results[0] == results[1]
    head = _head(presence_cfg=dict(part_loss=None))
    assert 'loss_part_presence' not in head.loss(_feats(2), samples)


# Losses of the 18-argument head this one replaced (commit c5dda76), on fixed seeds: the
# settings moved into cam_pooling / presence_cfg, the numbers did not. Its part loss was
# part_loss_weight * loss_presence, now presence_cfg.part_loss with the product as weight.
REFERENCE_LOSSES = {
    # configs/location_free/*loc25*: top-k 0.02, BCE 0.01 (part 0.5 x 0.01) on weak samples
    'loc25': (dict(cam_pooling=dict(type='CAMPooling', mode='topk', topk_ratio=0.02),
                   presence_cfg=dict(loss=dict(type='BCELoss', loss_weight=0.01),
                                     part_loss=dict(type='BCELoss', loss_weight=0.005),
                                     on_located=False),
                   loss_heatmap=dict(type='KeypointMSELoss', use_target_weight=True,
                                     loss_weight=10.)),
              dict(loss_presence=0.006936311721801758, loss_part_presence=0.0040616788901388645,
                   loss_heatmap=2.9537675380706787, acc_presence=0.55)),
    'defaults': (dict(),
                 dict(loss_presence=0.6902707815170288, loss_part_presence=0.38626375794410706,
                      loss_heatmap=0.2953767478466034, acc_presence=0.55)),
    # was presence_loss_input='peaks', MSELoss(2), part_loss_weight=0.3, pooling='lse'
    'peaks': (dict(cam_pooling=dict(type='CAMPooling', mode='lse', lse_r=3.),
                   presence_cfg=dict(input='peaks', loss=dict(type='MSELoss', loss_weight=2.),
                                     part_loss=dict(type='BCELoss', loss_weight=0.3)),
                   similarity='cosine'),
              dict(loss_presence=0.7585374712944031, loss_part_presence=0.2210502177476883,
                   loss_heatmap=0.3207789361476898, acc_presence=0.55)),
}


@pytest.mark.parametrize('name', sorted(REFERENCE_LOSSES))
def test_losses_match_the_head_before_the_settings_were_grouped(name):
    kwargs, expected = REFERENCE_LOSSES[name]
    torch.manual_seed(0)
    head = _head(context_encoder=dict(type='SpatialGuidedContextEncoder', num_layers=1,
                                      num_heads=2, token_stride=2),
                 prototype_generator=dict(type='RelationPrototypeGenerator', num_layers=1,
                                          num_heads=2, memory_stride=2),
                 **kwargs)
    torch.manual_seed(1)
    feats = (torch.randn(4, 8, 16, 12), torch.randn(4, 16, 8, 6))
    rng = np.random.default_rng(0)
    samples = _samples([1, 0, 0, 1])
    for s in samples:  # the reference's labels: presence, weights, heatmaps in this order
        labels = s.gt_instance_labels
        labels.keypoint_presence = torch.tensor(rng.integers(0, 2, (1, K)),
                                                dtype=torch.float32)
        labels.keypoint_weights = torch.tensor(rng.random((1, K)) > 0.2, dtype=torch.float32)
        s.gt_fields.heatmaps = torch.tensor(rng.random((K, 16, 12)), dtype=torch.float32)
    losses = head.train().loss(feats, samples)
    assert {k: pytest.approx(losses[k].item(), rel=1e-5) for k in expected} == expected
