# Copyright (c) hsjp-mmpose contributors.
"""The region presence loss, and both region losses in LocationFreeHead, against
hand-computed values."""
import math

import pytest
import torch

from hsjp_mmpose.models.losses import RegionPresenceLoss
from hsjp_mmpose.models.losses.region_presence_loss import box_masks, spatial_softmax
from mmpose.registry import MODELS


def test_box_masks_are_half_open():
    masks = box_masks(torch.tensor([[[1., 0., 3., 2.]]]), height=3, width=4)
    assert masks.tolist() == [[[[False, True, True, False], [False, True, True, False],
                                [False, False, False, False]]]]


def test_region_probability_and_loss_hand_computed():
    # one keypoint, a 1 x 4 map: values (0, 0, ln 2, ln 2) at temperature 1 give
    # p = (1, 1, 2, 2) / 6; the box over cells 2-3 holds 4/6, the one over cell 0, 1/6
    maps = torch.tensor([0., 0., math.log(2.), math.log(2.)]).reshape(1, 1, 1, 4)
    boxes = torch.tensor([[[2., 0., 4., 1.], [0., 0., 1., 1.]]])
    loss = RegionPresenceLoss(temperature=1., loss_weight=2.)
    probs = loss.region_probabilities(maps, boxes)
    torch.testing.assert_close(probs, torch.tensor([[[4 / 6], [1 / 6]]]))
    labels = torch.tensor([[[1.], [1.]]])
    expected = 2. * -(math.log(4 / 6) + math.log(1 / 6)) / 2
    torch.testing.assert_close(loss(maps, boxes, labels), torch.tensor(expected))
    # label 0 for the second box: -log(1 - 1/6)
    expected = 2. * -(math.log(4 / 6) + math.log(5 / 6)) / 2
    torch.testing.assert_close(loss(maps, boxes, torch.tensor([[[1.], [0.]]])),
                               torch.tensor(expected))


def test_region_loss_weights_select_keypoints():
    maps = torch.zeros(1, 2, 2, 2, requires_grad=True)  # uniform: every box cell 1/4
    boxes = torch.tensor([[[0., 0., 1., 1.]]])
    labels = torch.tensor([[[1., 0.]]])
    loss = RegionPresenceLoss(temperature=5.)
    # keypoint 0 only: -log(1/4)
    torch.testing.assert_close(loss(maps, boxes, labels, torch.tensor([[1., 0.]])),
                               torch.tensor(math.log(4.)))
    zero = loss(maps, boxes, labels, torch.zeros(1, 2))
    assert zero.item() == 0
    zero.backward()
    assert maps.grad is not None and not maps.grad.any()
    with pytest.raises(ValueError, match='labels'):
        loss(maps, boxes, torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match='temperature'):
        RegionPresenceLoss(temperature=0.)
    assert isinstance(MODELS.build(dict(type='RegionPresenceLoss')), RegionPresenceLoss)


def test_spatial_softmax_sums_to_one_per_map():
    p = spatial_softmax(torch.randn(2, 3, 4, 5), 10.)
    torch.testing.assert_close(p.sum((-1, -2)), torch.ones(2, 3))


# --------------------------------------------------------------- in LocationFreeHead
def _head_with(monkeypatch, cams, part_logits=None, **kwargs):
    from tests.test_models.test_location_free_head import _head
    head = _head(**kwargs)

    def _forward(feats):
        parts = None if part_logits is None else part_logits.clone().requires_grad_()
        return dict(cams=cams.clone().requires_grad_(), logits=torch.zeros(len(cams), 5),
                    part_logits=parts)

    monkeypatch.setattr(head, '_forward', _forward)
    return head


def _with_regions(samples, boxes, labels):
    for s, b, y in zip(samples, boxes, labels):
        s.gt_instance_labels.region_boxes = b[None]
        s.gt_instance_labels.region_presence = y[None]
    return samples


@pytest.mark.parametrize('loss_cfg', [
    dict(type='RegionPresenceLoss', temperature=3.),
    dict(type='RegionBoundedHeatmapLoss', loss_weight=10.)])
def test_head_region_loss_on_present_keypoints_of_weak_samples(monkeypatch, loss_cfg):
    from tests.test_models.test_location_free_head import _feats, _samples
    cams = torch.randn(3, 5, 16, 12)
    head = _head_with(monkeypatch, cams, presence_cfg=dict(
        on_located=False, part_loss=None, region_loss=loss_cfg))
    samples = _samples([1, 0, 0])
    boxes = torch.tensor([[0., 0., 6., 8.], [3., 2., 12., 16.]]).expand(3, 2, 4)
    labels = (torch.rand(3, 2, 5) > 0.5).float()
    _with_regions(samples, boxes, labels)
    presence = torch.cat([s.gt_instance_labels.keypoint_presence for s in samples])
    expected = MODELS.build(loss_cfg)(cams[1:], boxes[1:], labels[1:], presence[1:])
    torch.testing.assert_close(head.loss(_feats(3), samples)['loss_region'], expected)
    del samples[2].gt_instance_labels.region_boxes
    with pytest.raises(KeyError, match='GenerateRegionPresenceLabels'):
        head.loss(_feats(3), samples)


def test_head_region_loss_on_part_maps(monkeypatch):
    """``region_input='part_maps'``: the region loss reads the context encoder's part
    maps, not the CAMs."""
    from tests.test_models.test_location_free_head import _feats, _samples
    cams, parts = torch.randn(3, 5, 16, 12), torch.randn(3, 5, 16, 12)
    loss_cfg = dict(type='RegionPresenceLoss', temperature=1.)
    head = _head_with(monkeypatch, cams, part_logits=parts, presence_cfg=dict(
        on_located=False, part_loss=None, region_loss=loss_cfg, region_input='part_maps'))
    samples = _with_regions(_samples([1, 0, 0]),
                            torch.tensor([[0., 0., 6., 8.]]).expand(3, 1, 4),
                            (torch.rand(3, 1, 5) > 0.5).float())
    boxes = torch.cat([s.gt_instance_labels.region_boxes for s in samples])
    labels = torch.cat([s.gt_instance_labels.region_presence for s in samples])
    presence = torch.cat([s.gt_instance_labels.keypoint_presence for s in samples])
    expected = MODELS.build(loss_cfg)(parts[1:], boxes[1:], labels[1:], presence[1:])
    torch.testing.assert_close(head.loss(_feats(3), samples)['loss_region'], expected)


def test_region_input_checked():
    from tests.test_models.test_location_free_head import _head
    with pytest.raises(ValueError, match='region_input'):
        _head(presence_cfg=dict(region_input='heatmaps'))
    with pytest.raises(ValueError, match='context encoder'):
        _head(context_encoder=None, presence_cfg=dict(region_input='part_maps'))


# --------------------------------------------------------------- presence-gated pseudo-labels
def _two_keypoint_maps():
    """1 sample, 2 keypoints on a 3 x 4 map: keypoint 0 peaks 0.8 at (x=3, y=1),
    keypoint 1 peaks 0.5 at (x=0, y=2)."""
    maps = torch.zeros(1, 2, 3, 4)
    maps[0, 0, 1, 3] = 0.8
    maps[0, 1, 2, 0] = 0.5
    return maps


def test_gated_pseudo_heatmap_targets_hand_computed():
    from hsjp_mmpose.models.losses.gated_pseudo_heatmap_loss import (GatedPseudoHeatmapLoss,
                                                                     gaussian_maps, map_peaks)
    maps = _two_keypoint_maps()
    peaks = map_peaks(maps)
    assert peaks['x'].tolist() == [[3, 0]] and peaks['y'].tolist() == [[1, 2]]
    g = gaussian_maps(torch.tensor([[3]]), torch.tensor([[1]]), 3, 4, sigma=1.)
    assert g[0, 0, 1, 3] == 1 and g[0, 0, 1, 2] == pytest.approx(math.exp(-0.5))
    assert g[0, 0, 0, 2] == pytest.approx(math.exp(-1.))
    # presence says keypoint 0 present, keypoint 1 absent: 0 kept, 1 suppressed
    loss = GatedPseudoHeatmapLoss(gates=('presence', ), min_peak=0.3, sigma=1.)
    t = loss.targets(maps, presence=torch.tensor([[1., 0.]]))
    assert t['kept'].tolist() == [[True, False]] and t['suppressed'].tolist() == [[False, True]]
    torch.testing.assert_close(t['target'][0, 0], g[0, 0])
    assert not t['target'][0, 1].any() and t['weight'].tolist() == [[1., 1.]]
    # loss: keypoint 0 sum((maps - g) ** 2), keypoint 1 sum(maps ** 2) = 0.25; mean of 24
    expected = (((maps[0, 0] - g[0, 0]) ** 2).sum() + 0.25) / 24
    torch.testing.assert_close(loss(maps, torch.tensor([[1., 0.]])), expected)
    # min_peak 0.9: keypoint 0 is no longer kept, only the suppression of 1 remains
    t = GatedPseudoHeatmapLoss(gates=('presence', ), min_peak=0.9).targets(
        maps, torch.tensor([[1., 0.]]))
    assert t['weight'].tolist() == [[0., 1.]]
    # no gates (plain self-training): both peaks >= 0.3 kept, nothing suppressed
    t = GatedPseudoHeatmapLoss(gates=()).targets(maps)
    assert t['kept'].tolist() == [[True, True]] and not t['suppressed'].any()


def test_gated_pseudo_heatmap_region_gate():
    from hsjp_mmpose.models.losses import GatedPseudoHeatmapLoss
    from hsjp_mmpose.models.losses.gated_pseudo_heatmap_loss import peaks_agree_with_regions
    maps = _two_keypoint_maps()
    # box 0 = right half (x 2-3), box 1 = bottom row (y 2)
    boxes = torch.tensor([[[2., 0., 4., 3.], [0., 2., 4., 3.]]])
    # truth: keypoint 0 in box 0 only (its peak agrees); keypoint 1 in box 0 and 1 (its peak
    # at x=0 is outside box 0: disagrees)
    labels = torch.tensor([[[1., 1.], [0., 1.]]])
    agree = peaks_agree_with_regions(torch.tensor([[3, 0]]), torch.tensor([[1, 2]]), boxes,
                                     labels)
    assert agree.tolist() == [[True, False]]
    t = GatedPseudoHeatmapLoss().targets(maps, torch.tensor([[1., 1.]]), boxes, labels)
    assert t['kept'].tolist() == [[True, False]] and t['weight'].tolist() == [[1., 0.]]
    with pytest.raises(ValueError, match='GenerateRegionPresenceLabels'):
        GatedPseudoHeatmapLoss().targets(maps, torch.tensor([[1., 1.]]))
    with pytest.raises(ValueError, match='presence labels'):
        GatedPseudoHeatmapLoss(gates=('presence', )).targets(maps)
    with pytest.raises(ValueError, match='unknown gates'):
        GatedPseudoHeatmapLoss(gates=('flip', ))
    assert isinstance(MODELS.build(dict(type='GatedPseudoHeatmapLoss')), GatedPseudoHeatmapLoss)


def test_head_pseudo_label_loss_only_on_weak_samples(monkeypatch):
    from hsjp_mmpose.models.losses import GatedPseudoHeatmapLoss
    from tests.test_models.test_location_free_head import _feats, _samples
    cams = torch.rand(3, 5, 16, 12)
    cfg = dict(type='GatedPseudoHeatmapLoss', gates=['presence'], loss_weight=2.)
    head = _head_with(monkeypatch, cams, presence_cfg=dict(
        on_located=False, part_loss=None, pseudo_label_loss=cfg))
    samples = _samples([1, 0, 0])
    presence = torch.cat([s.gt_instance_labels.keypoint_presence for s in samples])
    losses = head.loss(_feats(3), samples)
    expected = GatedPseudoHeatmapLoss(gates=['presence'], loss_weight=2.)(cams[1:],
                                                                          presence[1:])
    torch.testing.assert_close(losses['loss_pseudo'], expected)
    kept = (cams[1:].flatten(2).max(-1).values >= 0.3) & (presence[1:] > 0.5)
    assert losses['pseudo_kept'].item() == pytest.approx(
        kept.sum().item() / (presence[1:] > 0.5).sum().item())
    # every sample located: a zero that keeps the graph
    losses = head.loss(_feats(3), _samples([1, 1, 1]))
    assert losses['loss_pseudo'].item() == 0 and losses['loss_pseudo'].requires_grad
