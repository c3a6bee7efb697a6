# Copyright (c) hsjp-mmpose contributors.
"""Region presence labels as bounds on a keypoint heatmap, in the heatmap loss's own terms."""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn

from .region_presence_loss import box_masks


def feasible_cells(boxes: Tensor, labels: Tensor, height: int, width: int) -> Tensor:
    """(B, K, H, W) bool: the cells where keypoint k can lie given its region labels:
    inside every box (B, R, 4; half-open cell ranges) whose label (B, R, K) says it is
    there and outside every box whose label says it is not."""
    masks = box_masks(boxes, height, width).float()  # (B, R, H, W)
    labels = (labels > 0.5).float()
    hits = torch.einsum('brhw,brk->bkhw', masks, labels)
    misses = torch.einsum('brhw,brk->bkhw', masks, 1 - labels)
    return (hits >= labels.sum(dim=1)[..., None, None] - 0.5) & (misses < 0.5)


def chebyshev_distance(cells: Tensor, max_distance: int) -> Tensor:
    """(B, K, H, W) float: the Chebyshev distance (in cells) from each cell to the nearest
    ``True`` cell of ``cells`` (B, K, H, W), saturated at ``max_distance + 1`` (also where
    no cell is ``True``)."""
    dist = torch.where(cells, 0., float(max_distance + 1))
    grown = cells.float()
    for d in range(1, max_distance + 1):  # d 3x3 dilations reach Chebyshev distance d
        grown = F.max_pool2d(grown, 3, stride=1, padding=1)
        dist = torch.where((grown > 0) & (dist > d), float(d), dist)
    return dist


@MODELS.register_module()
class RegionBoundedHeatmapLoss(nn.Module):
    """The heatmap loss that region presence labels allow, for samples without locations.

    The labels of keypoint k (``GenerateRegionPresenceLabels``: in or out of each of R
    boxes) confine it to the feasible cells ``F`` (inside every box it is in, outside
    every box it is not; the true cell is one of them). Any ``MSRAHeatmap`` target
    ``exp(-|c - p|^2 / (2 sigma^2))`` with ``p`` in ``F`` then obeys two bounds, which this
    loss imposes on the map ``m``:

    - an envelope: ``m(c) <= u(c) = exp(-d(c)^2 / (2 sigma^2))``, ``d(c)`` the Chebyshev
      distance from cell c to ``F`` (no more than the Euclidean one, so the bound holds);
    - a peak: ``max over F of m >= peak`` (targets reach 1 at the keypoint's cell).

    Unlike a loss on the map read as a distribution (``RegionPresenceLoss``), a map
    equal to the heatmap target has zero loss, so on the samples with location labels the
    two losses ask for one map shape:

        loss = loss_weight * sum_k w_k * [mean_c relu(m - u)^2
                                          + peak_weight * relu(peak - max_F m)^2] / sum_k w_k

    Args:
        sigma (float): The codec's Gaussian sigma, in cells. Defaults to 2.
        peak (float): Least map value inside ``F``. Defaults to 1.
        peak_weight (float): Weight of the peak term against the per-cell envelope term.
            The squared mass of a heatmap target is about ``pi sigma^2``, a share
            ``pi sigma^2 / (H W)`` of a map (0.016 for sigma 2 on 32 x 24); 0.02 puts one
            missing peak on about that scale.
            Defaults to 0.02.
        loss_weight (float): Weight of the loss (the heatmap loss's, e.g. 10, puts the
            two on one scale). Defaults to 1.
        max_distance (int): Cells beyond which the envelope is taken as 0. Defaults to
            ``ceil(4 sigma)``.

    The call matches ``RegionPresenceLoss``: ``(maps, boxes, labels, weights)``, so either
    can be the ``LocationFreeHead``'s ``presence_cfg.region_loss``.
    """

    def __init__(self, sigma: float = 2., peak: float = 1., peak_weight: float = 0.02,
                 loss_weight: float = 1., max_distance: Optional[int] = None) -> None:
        super().__init__()
        if sigma <= 0:
            raise ValueError(f'RegionBoundedHeatmapLoss: sigma must be > 0, got {sigma}')
        if not 0 < peak <= 1:
            raise ValueError(f'RegionBoundedHeatmapLoss: peak must be in (0, 1], got {peak}')
        if max_distance is not None and max_distance < 0:
            raise ValueError('RegionBoundedHeatmapLoss: max_distance must be >= 0, got '
                             f'{max_distance}')
        if peak_weight < 0:
            raise ValueError('RegionBoundedHeatmapLoss: peak_weight must be >= 0, got '
                             f'{peak_weight}')
        self.sigma = float(sigma)
        self.peak = float(peak)
        self.peak_weight = float(peak_weight)
        self.loss_weight = float(loss_weight)
        self.max_distance = int(max_distance) if max_distance is not None else \
            math.ceil(4 * self.sigma)

    def bounds(self, boxes: Tensor, labels: Tensor, height: int,
               width: int) -> Tuple[Tensor, Tensor]:
        """``(feasible, envelope)``, each (B, K, H, W): the feasible cells (bool) and the
        upper bound ``u`` on the map."""
        feasible = feasible_cells(boxes, labels, height, width)
        dist = chebyshev_distance(feasible, self.max_distance)
        envelope = torch.exp(-dist ** 2 / (2 * self.sigma ** 2))
        envelope = torch.where(dist > self.max_distance, torch.zeros_like(envelope), envelope)
        return feasible, envelope

    def forward(self, maps: Tensor, boxes: Tensor, labels: Tensor,
                weights: Optional[Tensor] = None) -> Tensor:
        """Weighted mean over keypoints of the two bound violations.

        Args:
            maps (Tensor): Keypoint maps (B, K, H, W), e.g. CAMs.
            boxes (Tensor): Boxes (B, R, 4) in cells, ``x1, y1, x2, y2`` half-open.
            labels (Tensor): (B, R, K), 1 where keypoint k lies in box r.
            weights (Tensor, optional): (B, K) weight of each keypoint, e.g. its presence
                in the input: an absent keypoint's labels are 0 for every box, so it
                would be trained as lying outside all of them. All 1 when ``None``.
                A keypoint whose labels leave no feasible cell has an all-zero envelope
                (its whole map is pushed to 0) and no peak term.

        Returns:
            Tensor: The scalar loss times ``loss_weight`` (0, with the graph kept, when
            every weight is 0).
        """
        b, k, h, w = maps.shape
        if labels.shape[0] != b or labels.shape[-1] != k or \
                boxes.shape[:2] != labels.shape[:2] or boxes.shape[-1] != 4:
            raise ValueError(f'RegionBoundedHeatmapLoss: labels of shape {tuple(labels.shape)} '
                             f'and boxes of shape {tuple(boxes.shape)} do not match maps '
                             f'(B, K) = {(b, k)}: expected (B, R, K) and (B, R, 4)')
        if weights is None:
            weights = maps.new_ones(b, k)
        if weights.shape != (b, k):
            raise ValueError(f'RegionBoundedHeatmapLoss: weights of shape '
                             f'{tuple(weights.shape)} do not match (B, K) = {(b, k)}')
        weights = weights.to(maps)
        total = weights.sum()
        if total <= 0:
            return maps.sum() * 0.
        with torch.no_grad():
            feasible, envelope = self.bounds(boxes.to(device=maps.device),
                                             labels.to(device=maps.device), h, w)
        over = F.relu(maps - envelope).pow(2).flatten(2).mean(dim=-1)  # (B, K)
        inside = maps.masked_fill(~feasible, float('-inf')).flatten(2).amax(dim=-1)
        has_cells = feasible.flatten(2).any(dim=-1)
        short = F.relu(self.peak - inside.masked_fill(~has_cells, self.peak)).pow(2)
        per_keypoint = over + self.peak_weight * short
        return (per_keypoint * weights).sum() / total * self.loss_weight
