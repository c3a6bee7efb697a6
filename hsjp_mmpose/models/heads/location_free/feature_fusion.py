# Copyright (c) hsjp-mmpose contributors.
"""Fuse a backbone's multi-scale feature maps into one map at the finest scale."""
from typing import Sequence

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor, nn


class MultiScaleFeatureFusion(nn.Module):
    """Top-down (FPN-style) fusion of multi-scale features into one embedding map.

    Each input is projected to ``out_channels`` with a 1x1 convolution; starting from the
    coarsest, the running map is upsampled (bilinear) to the next finer input and added
    to its projection; a 3x3 convolution refines the sum at the finest scale. With a
    single input it is a projection followed by the 3x3 convolution.

    Args:
        in_channels (Sequence[int]): Channels of each input map, finest first, as
            HRNet's branches and ResNet's ``out_indices`` come.
        out_channels (int): Channels D of the fused map.
        norm_cfg (dict): Normalisation after each convolution. Defaults to BN.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        if len(in_channels) == 0:
            raise ValueError('in_channels must name at least one feature map')
        self.in_channels = tuple(in_channels)
        self.out_channels = out_channels
        self.lateral_convs = nn.ModuleList([
            ConvModule(c, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
            for c in in_channels
        ])
        self.output_conv = ConvModule(out_channels, out_channels, 3, padding=1,
                                      norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """(B, C_i, H_i, W_i) per scale, finest first -> (B, D, H_0, W_0)."""
        if len(feats) != len(self.lateral_convs):
            raise ValueError(f'expected {len(self.lateral_convs)} feature maps '
                             f'(in_channels={self.in_channels}), got {len(feats)}')
        x = self.lateral_convs[-1](feats[-1])
        for i in range(len(feats) - 2, -1, -1):
            lateral = self.lateral_convs[i](feats[i])
            x = lateral + F.interpolate(
                x, size=lateral.shape[-2:], mode='bilinear', align_corners=False)
        return self.output_conv(x)
