# Copyright (c) hsjp-mmpose contributors.
"""Softmax cross-entropy over classes, which MMPose's loss registry lacks."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Softmax cross-entropy of class logits against integer labels.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        label_smoothing (float): Label smoothing in ``[0, 1)`` as in
            :func:`torch.nn.functional.cross_entropy`. Defaults to 0.
        ignore_index (int): Label value that does not count. Defaults to -100.
    """

    def __init__(self,
                 loss_weight: float = 1.,
                 label_smoothing: float = 0.,
                 ignore_index: int = -100) -> None:
        super().__init__()
        if not 0 <= label_smoothing < 1:
            raise ValueError(f'label_smoothing must be in [0, 1), got {label_smoothing!r}')
        self.loss_weight = float(loss_weight)
        self.label_smoothing = float(label_smoothing)
        self.ignore_index = int(ignore_index)

    def forward(self, logits: Tensor, labels: Tensor,
                weights: Optional[Tensor] = None) -> Tensor:
        """Mean cross-entropy.

        Args:
            logits (Tensor): Class scores in shape (B, N).
            labels (Tensor): Class indices (int64) in shape (B,).
            weights (Tensor, optional): Per-sample weights in shape (B,); the loss is then
                ``sum(w * ce) / max(sum(w), eps)``.

        Returns:
            Tensor: The scalar loss times ``loss_weight``.
        """
        if weights is None:
            loss = F.cross_entropy(logits, labels, ignore_index=self.ignore_index,
                                   label_smoothing=self.label_smoothing)
        else:
            per_sample = F.cross_entropy(logits, labels, ignore_index=self.ignore_index,
                                         label_smoothing=self.label_smoothing,
                                         reduction='none')
            weights = weights.to(per_sample) * (labels != self.ignore_index).to(per_sample)
            loss = (per_sample * weights).sum() / weights.sum().clamp(min=torch.finfo(
                per_sample.dtype).eps)
        return loss * self.loss_weight
