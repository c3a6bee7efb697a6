# Copyright (c) hsjp-mmpose contributors.
"""Region presence: is a keypoint inside a box, as the share of its map's mass there."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn


def box_masks(boxes: Tensor, height: int, width: int) -> Tensor:
    """Cell masks (B, R, H, W) of boxes (B, R, 4) given as half-open cell ranges
    ``x1, y1, x2, y2`` (cells ``x1 <= x < x2``, ``y1 <= y < y2``)."""
    xs = torch.arange(width, device=boxes.device, dtype=boxes.dtype)
    ys = torch.arange(height, device=boxes.device, dtype=boxes.dtype)
    in_x = (xs >= boxes[..., 0:1]) & (xs < boxes[..., 2:3])  # (B, R, W)
    in_y = (ys >= boxes[..., 1:2]) & (ys < boxes[..., 3:4])  # (B, R, H)
    return in_y[..., :, None] & in_x[..., None, :]


def spatial_softmax(maps: Tensor, temperature: float) -> Tensor:
    """Each map (B, K, H, W) as a distribution over its H * W cells:
    ``softmax(temperature * map)``."""
    b, k, h, w = maps.shape
    return F.softmax(maps.flatten(2) * temperature, dim=-1).reshape(b, k, h, w)


@MODELS.register_module()
class RegionPresenceLoss(nn.Module):
    """Binary cross-entropy between box-membership labels and the probability that a
    keypoint lies in the box under its map read as a location distribution.

    Each keypoint map (B, K, H, W) becomes a distribution over cells,
    ``p = softmax(temperature * map)`` (one location per keypoint: a modelling prior);
    the probability that keypoint k lies in box r is ``P[r, k] = sum of p[k] over the
    box's cells``. The labels (B, R, K) say whether it does
    (``GenerateRegionPresenceLabels``); the loss is the mean BCE of ``P`` against them
    over the keypoints with weight > 0 (those present in the input):

        loss = loss_weight * sum(w * BCE(P, y)) / sum(w),   w[b, r, k] = weights[b, k]

    Args:
        temperature (float): Scale of the maps inside the softmax. For maps shaped like
            ``MSRAHeatmap`` targets (peak 1, background 0), 10 puts most of the mass
            within two cells of the peak. Defaults to 10.
        loss_weight (float): Weight of the loss. Defaults to 1.
        eps (float): ``P`` is clamped to ``[eps, 1 - eps]``. Defaults to 1e-4.
    """

    def __init__(self, temperature: float = 10., loss_weight: float = 1.,
                 eps: float = 1e-4) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'RegionPresenceLoss: temperature must be > 0, got {temperature}')
        if not 0 < eps < 0.5:
            raise ValueError(f'RegionPresenceLoss: eps must be in (0, 0.5), got {eps}')
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)
        self.eps = float(eps)

    def region_probabilities(self, maps: Tensor, boxes: Tensor) -> Tensor:
        """``P`` (B, R, K): the mass of each map (B, K, H, W) in each box (B, R, 4)."""
        p = spatial_softmax(maps, self.temperature)
        masks = box_masks(boxes.to(maps), maps.shape[-2], maps.shape[-1]).to(maps)
        return torch.einsum('brhw,bkhw->brk', masks, p)

    def forward(self, maps: Tensor, boxes: Tensor, labels: Tensor,
                weights: Optional[Tensor] = None) -> Tensor:
        """Mean BCE.

        Args:
            maps (Tensor): Keypoint maps (B, K, H, W), e.g. CAMs.
            boxes (Tensor): Boxes (B, R, 4) in cells, ``x1, y1, x2, y2`` half-open.
            labels (Tensor): (B, R, K), 1 where keypoint k lies in box r.
            weights (Tensor, optional): (B, K) weight of each keypoint's labels, e.g.
                its presence in the input; all 1 when ``None``.

        Returns:
            Tensor: The scalar loss times ``loss_weight`` (0, with the graph kept, when
            every weight is 0).
        """
        probs = self.region_probabilities(maps, boxes).clamp(self.eps, 1 - self.eps)
        if labels.shape != probs.shape:
            raise ValueError(f'RegionPresenceLoss: labels of shape {tuple(labels.shape)} '
                             f'do not match (B, R, K) = {tuple(probs.shape)}')
        bce = F.binary_cross_entropy(probs, labels.to(probs), reduction='none')
        if weights is None:
            weights = torch.ones_like(probs[:, 0])
        w = weights.to(probs)[:, None, :].expand_as(bce)
        total = w.sum()
        if total <= 0:
            return maps.sum() * 0.
        return (bce * w).sum() / total * self.loss_weight
