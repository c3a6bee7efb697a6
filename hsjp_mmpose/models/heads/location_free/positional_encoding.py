# Copyright (c) hsjp-mmpose contributors.
"""Fixed 2D sine positional encodings (DETR-style) for flattened feature maps."""
import math

import torch
from torch import Tensor


def sine_positional_encoding(height: int, width: int, dims: int,
                             temperature: float = 10000.,
                             device: torch.device = None) -> Tensor:
    """2D sine/cosine encodings of a ``height`` x ``width`` grid, row-major.

    Half the channels encode y, half x, each as interleaved sines and cosines of the
    normalised coordinate (in [0, 2*pi]) at geometric frequencies.

    Args:
        height (int): Rows H of the grid.
        width (int): Columns W of the grid.
        dims (int): Channels D; a multiple of 4.
        temperature (float): Base of the frequencies. Defaults to 10000.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: Encodings in shape (H * W, D).
    """
    if dims % 4 != 0:
        raise ValueError(f'dims must be a multiple of 4 for 2D sine encodings, got {dims}')
    eps = 1e-6
    y = torch.arange(1, height + 1, dtype=torch.float32, device=device)
    x = torch.arange(1, width + 1, dtype=torch.float32, device=device)
    y = y / (height + eps) * 2 * math.pi
    x = x / (width + eps) * 2 * math.pi
    num_feats = dims // 2
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=device)
    dim_t = temperature**(2 * (dim_t // 2) / num_feats)
    pos_y = y[:, None] / dim_t  # (H, D/2)
    pos_x = x[:, None] / dim_t  # (W, D/2)
    pos_y = torch.stack((pos_y[:, 0::2].sin(), pos_y[:, 1::2].cos()), dim=2).flatten(1)
    pos_x = torch.stack((pos_x[:, 0::2].sin(), pos_x[:, 1::2].cos()), dim=2).flatten(1)
    pos = torch.cat((pos_y[:, None, :].expand(height, width, num_feats),
                     pos_x[None, :, :].expand(height, width, num_feats)), dim=2)
    return pos.reshape(height * width, dims)
