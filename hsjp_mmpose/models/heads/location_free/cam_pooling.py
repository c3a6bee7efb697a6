# Copyright (c) hsjp-mmpose contributors.
"""Pool class activation maps into one value per keypoint (the presence evidence)."""
import math

import torch
from torch import Tensor, nn

from mmpose.registry import MODELS

POOLING_MODES = ('gap', 'topk', 'lse')


def pool_cams(cams: Tensor, mode: str = 'topk', topk_ratio: float = 0.05,
              lse_r: float = 5.) -> Tensor:
    """Pool CAMs into one value per keypoint.

    Args:
        cams (Tensor): CAMs in shape (B, K, H, W).
        mode (str): ``'gap'`` (global average), ``'topk'`` (mean of the top
            ``topk_ratio`` of the locations, at least one) or ``'lse'`` (log-sum-exp,
            ``(1/r) * log(mean(exp(r * x)))``, between average (r -> 0) and max).
        topk_ratio (float): Fraction of locations averaged by ``'topk'``.
        lse_r (float): Sharpness r of ``'lse'``.

    Returns:
        Tensor: Pooled values in shape (B, K).
    """
    flat = cams.flatten(2)
    if mode == 'gap':
        return flat.mean(-1)
    if mode == 'topk':
        k = max(1, int(round(topk_ratio * flat.shape[-1])))
        return flat.topk(k, dim=-1).values.mean(-1)
    if mode == 'lse':
        return (torch.logsumexp(lse_r * flat, dim=-1) - math.log(flat.shape[-1])) / lse_r
    raise ValueError(f'unknown pooling mode {mode!r}; use one of {POOLING_MODES}')


@MODELS.register_module()
class CAMPooling(nn.Module):
    """:func:`pool_cams` with its settings bound and checked once: CAMs (B, K, H, W) ->
    pooled values (B, K). No parameters, so it adds nothing to a checkpoint.

    Args:
        mode (str): ``'gap'``, ``'topk'`` or ``'lse'`` (see :func:`pool_cams`).
            Defaults to ``'topk'``.
        topk_ratio (float): Fraction of locations averaged, in (0, 1]; used by
            ``'topk'``. Defaults to 0.05.
        lse_r (float): Sharpness, > 0; used by ``'lse'``. Defaults to 5.
    """

    def __init__(self, mode: str = 'topk', topk_ratio: float = 0.05,
                 lse_r: float = 5.) -> None:
        super().__init__()
        if mode not in POOLING_MODES:
            raise ValueError(f'cam_pooling mode must be one of {POOLING_MODES}, '
                             f'got {mode!r}')
        if not 0 < topk_ratio <= 1:
            raise ValueError(f'cam_pooling topk_ratio must be in (0, 1], got {topk_ratio}')
        if lse_r <= 0:
            raise ValueError(f'cam_pooling lse_r must be > 0, got {lse_r}')
        self.mode = mode
        self.topk_ratio = topk_ratio
        self.lse_r = lse_r

    def forward(self, cams: Tensor) -> Tensor:
        """(B, K, H, W) -> (B, K)."""
        return pool_cams(cams, self.mode, self.topk_ratio, self.lse_r)

    def extra_repr(self) -> str:
        setting = dict(topk=f', topk_ratio={self.topk_ratio}',
                       lse=f', lse_r={self.lse_r}').get(self.mode, '')
        return f'mode={self.mode!r}{setting}'
