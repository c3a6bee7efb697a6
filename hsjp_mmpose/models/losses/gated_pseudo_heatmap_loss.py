# Copyright (c) hsjp-mmpose contributors.
"""Pseudo heatmaps from a model's own peaks, kept where the weak labels agree."""
from typing import Dict, Optional, Sequence

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

GATES = ('presence', 'regions')


def map_peaks(maps: Tensor) -> Dict[str, Tensor]:
    """Integer peak cells of maps (B, K, H, W): ``x``, ``y`` (B, K) long and ``value``
    (B, K)."""
    w = maps.shape[-1]
    value, index = maps.flatten(2).max(dim=-1)
    return dict(x=index % w, y=torch.div(index, w, rounding_mode='floor'), value=value)


def gaussian_maps(x: Tensor, y: Tensor, height: int, width: int, sigma: float) -> Tensor:
    """Unnormalised Gaussians (B, K, H, W), peak 1 at cells (``x``, ``y``) (B, K), as
    ``MSRAHeatmap`` draws its targets."""
    xs = torch.arange(width, device=x.device, dtype=torch.float32)
    ys = torch.arange(height, device=x.device, dtype=torch.float32)
    dx2 = (xs - x[..., None].float()) ** 2  # (B, K, W)
    dy2 = (ys - y[..., None].float()) ** 2  # (B, K, H)
    return torch.exp(-(dy2[..., :, None] + dx2[..., None, :]) / (2 * sigma ** 2))


def peaks_agree_with_regions(x: Tensor, y: Tensor, boxes: Tensor, labels: Tensor) -> Tensor:
    """(B, K) bool: the peak of keypoint k lies inside exactly the boxes (B, R, 4; half-open
    cell ranges) that the region labels (B, R, K) say hold keypoint k."""
    inside_x = (x[:, None, :] >= boxes[..., 0:1]) & (x[:, None, :] < boxes[..., 2:3])
    inside_y = (y[:, None, :] >= boxes[..., 1:2]) & (y[:, None, :] < boxes[..., 3:4])
    return ((inside_x & inside_y) == (labels > 0.5)).all(dim=1)


@MODELS.register_module()
class GatedPseudoHeatmapLoss(nn.Module):
    """Self-training on samples without location labels, gated by their weak labels.

    The maps' own peaks (detached) become Gaussian targets for the keypoints the gates
    keep; keypoints the presence labels say are absent get an all-zero target (their map
    is suppressed); the rest are ignored. Gates (``gates``, any of):

    - ``'presence'``: keep only keypoints labelled present; suppress those labelled absent;
    - ``'regions'``: keep only keypoints whose peak lies inside exactly the boxes their
      region-presence labels name (``GenerateRegionPresenceLabels``).

    Without gates every keypoint whose peak reaches ``min_peak`` is kept (plain
    self-training, the ablation). The loss is ``KeypointMSELoss``'s with target weights:

        loss = loss_weight * mean((w * (map - target)) ** 2)

    over all (B, K, H, W) elements, ``w`` 1 for kept and suppressed keypoints, else 0.

    Args:
        gates (Sequence[str]): From ``('presence', 'regions')``. Defaults to both.
        min_peak (float): Keep a peak only if its map value reaches this (heatmap
            targets peak at 1). Defaults to 0.3.
        sigma (float): Gaussian sigma of the targets, in heatmap cells. Defaults to 2.
        suppress_absent (bool): With the presence gate, train the maps of absent
            keypoints towards zero. Defaults to ``True``.
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def __init__(self, gates: Sequence[str] = GATES, min_peak: float = 0.3,
                 sigma: float = 2., suppress_absent: bool = True,
                 loss_weight: float = 1.) -> None:
        super().__init__()
        unknown = [g for g in gates if g not in GATES]
        if unknown:
            raise ValueError(f'GatedPseudoHeatmapLoss: unknown gates {unknown}; choose from '
                             f'{GATES} (or none, for plain self-training)')
        if sigma <= 0:
            raise ValueError(f'GatedPseudoHeatmapLoss: sigma must be > 0, got {sigma}')
        self.gates = tuple(gates)
        self.min_peak = float(min_peak)
        self.sigma = float(sigma)
        self.suppress_absent = bool(suppress_absent)
        self.loss_weight = float(loss_weight)

    def targets(self, maps: Tensor, presence: Optional[Tensor] = None,
                boxes: Optional[Tensor] = None,
                region_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Pseudo targets (B, K, H, W) and weights (B, K) from detached ``maps``; also
        ``kept`` and ``suppressed`` (B, K) bool.

        Args:
            maps (Tensor): Keypoint maps (B, K, H, W).
            presence (Tensor, optional): (B, K) presence labels; needed by the
                ``'presence'`` gate.
            boxes (Tensor, optional): (B, R, 4) boxes in cells, for the ``'regions'`` gate.
            region_labels (Tensor, optional): (B, R, K) box membership, for the
                ``'regions'`` gate.
        """
        maps = maps.detach()
        b, k, h, w = maps.shape
        peaks = map_peaks(maps)
        kept = peaks['value'] >= self.min_peak
        suppressed = torch.zeros_like(kept)
        if 'presence' in self.gates:
            if presence is None:
                raise ValueError("GatedPseudoHeatmapLoss: the 'presence' gate needs presence "
                                 'labels (gt_instance_labels.keypoint_presence)')
            present = presence > 0.5
            kept &= present
            suppressed = ~present if self.suppress_absent else suppressed
        if 'regions' in self.gates:
            if boxes is None or region_labels is None:
                raise ValueError("GatedPseudoHeatmapLoss: the 'regions' gate needs region "
                                 'boxes and labels: add GenerateRegionPresenceLabels to the '
                                 'pipeline')
            kept &= peaks_agree_with_regions(peaks['x'], peaks['y'], boxes.to(maps),
                                             region_labels)
        target = gaussian_maps(peaks['x'], peaks['y'], h, w, self.sigma).to(maps)
        target = target * kept[..., None, None].to(maps)
        return dict(target=target, weight=(kept | suppressed).to(maps), kept=kept,
                    suppressed=suppressed)

    def forward(self, maps: Tensor, presence: Optional[Tensor] = None,
                boxes: Optional[Tensor] = None,
                region_labels: Optional[Tensor] = None) -> Tensor:
        """The loss on ``maps`` (B, K, H, W); arguments as :meth:`targets`."""
        return self.loss_from_targets(maps, self.targets(maps, presence, boxes, region_labels))

    def loss_from_targets(self, maps: Tensor, targets: Dict[str, Tensor]) -> Tensor:
        """The loss on ``maps`` against the output of :meth:`targets`."""
        diff = (maps - targets['target']) * targets['weight'][..., None, None]
        return (diff ** 2).mean() * self.loss_weight
