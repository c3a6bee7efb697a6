# Copyright (c) hsjp-mmpose contributors.
"""RegionBoundedHeatmapLoss: feasible cells, envelope and loss against hand-computed
values; a heatmap target consistent with the labels costs nothing."""
import math

import numpy as np
import pytest
import torch

from hsjp_mmpose.datasets.transforms.location_labels import GenerateRegionPresenceLabels
from hsjp_mmpose.models.losses import RegionBoundedHeatmapLoss
from hsjp_mmpose.models.losses.gated_pseudo_heatmap_loss import gaussian_maps
from hsjp_mmpose.models.losses.region_bounded_heatmap_loss import (chebyshev_distance,
                                                                   feasible_cells)
from mmpose.registry import MODELS


def test_feasible_cells_inside_positive_outside_negative_boxes():
    # a 1 x 5 map; box A over cells 1-3 holds the keypoint, box B over cell 3 does not
    boxes = torch.tensor([[[1., 0., 4., 1.], [3., 0., 4., 1.]]])
    labels = torch.tensor([[[1.], [0.]]])
    feasible = feasible_cells(boxes, labels, height=1, width=5)
    assert feasible[0, 0, 0].tolist() == [False, True, True, False, False]
    # no box holds it: everything outside both boxes
    feasible = feasible_cells(boxes, torch.zeros(1, 2, 1), height=1, width=5)
    assert feasible[0, 0, 0].tolist() == [True, False, False, False, True]


def test_chebyshev_distance_saturates():
    cells = torch.zeros(1, 1, 3, 5, dtype=torch.bool)
    cells[0, 0, 1, 0] = True
    dist = chebyshev_distance(cells, max_distance=3)
    assert dist[0, 0].tolist() == [[1., 1., 2., 3., 4.], [0., 1., 2., 3., 4.],
                                   [1., 1., 2., 3., 4.]]
    assert (chebyshev_distance(torch.zeros(1, 1, 2, 2, dtype=torch.bool), 2) == 3).all()


def test_loss_hand_computed():
    # 1 x 5 map, feasible cells 1-2 (as above); sigma 1: envelope
    # exp(-d^2 / 2) with d = (1, 0, 0, 1, 2)
    boxes = torch.tensor([[[1., 0., 4., 1.], [3., 0., 4., 1.]]])
    labels = torch.tensor([[[1.], [0.]]])
    maps = torch.tensor([0.9, 0.5, 0.2, 0.7, 0.]).reshape(1, 1, 1, 5)
    loss = RegionBoundedHeatmapLoss(sigma=1., peak=1., peak_weight=0.5, loss_weight=2.,
                                    max_distance=4)
    feasible, envelope = loss.bounds(boxes, labels, 1, 5)
    e1, e2 = math.exp(-0.5), math.exp(-2.)
    torch.testing.assert_close(envelope[0, 0, 0], torch.tensor([e1, 1., 1., e1, e2]))
    over = ((0.9 - e1) ** 2 + 0 + 0 + (0.7 - e1) ** 2 + 0) / 5
    short = (1 - 0.5) ** 2  # best feasible cell holds 0.5
    expected = 2. * (over + 0.5 * short)
    torch.testing.assert_close(loss(maps, boxes, labels), torch.tensor(expected))


def test_a_consistent_heatmap_target_costs_nothing():
    rng = np.random.RandomState(0)
    np.random.seed(0)
    boxes = torch.tensor(GenerateRegionPresenceLabels(num_regions=8).random_boxes(
        6, (24, 32)))
    x = torch.tensor(rng.randint(0, 24, (6, 17)))
    y = torch.tensor(rng.randint(0, 32, (6, 17)))
    inside = ((x[:, None] >= boxes[..., 0:1]) & (x[:, None] < boxes[..., 2:3]) &
              (y[:, None] >= boxes[..., 1:2]) & (y[:, None] < boxes[..., 3:4]))
    labels = inside.float()
    loss = RegionBoundedHeatmapLoss(sigma=2., loss_weight=10.)
    target = gaussian_maps(x, y, 32, 24, 2.)
    assert loss(target, boxes, labels).item() < 1e-9
    # the same Gaussians mirrored left/right break the bounds
    assert loss(gaussian_maps(23 - x, y, 32, 24, 2.), boxes, labels).item() > 0.05


def test_weights_select_keypoints_and_errors():
    boxes = torch.tensor([[[0., 0., 1., 1.]]])
    labels = torch.tensor([[[1., 0.]]])
    maps = torch.zeros(1, 2, 2, 2, requires_grad=True)
    loss = RegionBoundedHeatmapLoss(sigma=1., peak_weight=1.)
    # keypoint 0 only: feasible cell (0, 0) holds 0, envelope never exceeded
    torch.testing.assert_close(loss(maps, boxes, labels, torch.tensor([[1., 0.]])),
                               torch.tensor(1.))
    zero = loss(maps, boxes, labels, torch.zeros(1, 2))
    assert zero.item() == 0
    zero.backward()
    assert maps.grad is not None and not maps.grad.any()
    with pytest.raises(ValueError, match='labels'):
        loss(maps, boxes, torch.zeros(1, 1, 3))
    with pytest.raises(ValueError, match='sigma'):
        RegionBoundedHeatmapLoss(sigma=0.)
    with pytest.raises(ValueError, match='peak'):
        RegionBoundedHeatmapLoss(peak=1.5)
    with pytest.raises(ValueError, match='max_distance'):
        RegionBoundedHeatmapLoss(max_distance=-1)
    with pytest.raises(ValueError, match='weights'):
        loss(maps, boxes, labels, torch.ones(2))
    assert isinstance(MODELS.build(dict(type='RegionBoundedHeatmapLoss')),
                      RegionBoundedHeatmapLoss)
