# Copyright (c) hsjp-mmpose contributors.
"""Multi-scale spatial-guided context encoder of location-free pose estimation."""
from typing import Optional, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from mmpose.registry import MODELS
from .positional_encoding import sine_positional_encoding


class GuidedEncoderLayer(nn.Module):
    """Pre-norm transformer encoder layer whose attention takes a per-key bias.

    The bias (B, L), e.g. ``log(saliency)``, is added to every query's attention logits
    through ``scaled_dot_product_attention``'s broadcast mask, never materialised as an
    (L, L) matrix.

    Args:
        embed_dims (int): Token channels D.
        num_heads (int): Attention heads; must divide D.
        ffn_ratio (float): Hidden width of the feed-forward block over D.
        dropout (float): Dropout of attention and feed-forward blocks.
    """

    def __init__(self, embed_dims: int, num_heads: int, ffn_ratio: float = 2.,
                 dropout: float = 0.) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(embed_dims)
        self.qk = nn.Linear(embed_dims, 2 * embed_dims)
        self.v = nn.Linear(embed_dims, embed_dims)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        hidden = int(embed_dims * ffn_ratio)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dims, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, embed_dims), nn.Dropout(dropout))

    def _heads(self, x: Tensor) -> Tensor:
        b, length, d = x.shape
        return x.reshape(b, length, self.num_heads, d // self.num_heads).transpose(1, 2)

    def forward(self, x: Tensor, pos: Tensor, key_bias: Optional[Tensor] = None) -> Tensor:
        """x: (B, L, D); pos: (L, D); key_bias: (B, L) added to every query's logits."""
        h = self.norm1(x)
        q, k = self.qk(h + pos).chunk(2, dim=-1)
        mask = None if key_bias is None else key_bias[:, None, None, :].to(x.dtype)
        attn = F.scaled_dot_product_attention(
            self._heads(q), self._heads(k), self._heads(self.v(h)), attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.)
        x = x + self.proj(attn.transpose(1, 2).flatten(2))
        return x + self.ffn(self.norm2(x))


@MODELS.register_module()
class SpatialGuidedContextEncoder(nn.Module):
    """Transformer context encoder whose attention is guided by a saliency map.

    From the fused multi-scale map, a 1x1 convolution predicts part maps (one per
    keypoint; trained by the head with the presence labels, like CAMs); their maximum,
    through a sigmoid, is a person saliency map ``s``. The map is pooled into tokens
    (``token_stride``), given 2D sine positional encodings and passed through
    ``num_layers`` encoder layers whose attention logits gain ``log(s)`` of the key, so
    every location gathers context mostly from the person. The result is upsampled and
    added to the input map.

    Args:
        embed_dims (int): Channels D of the input and output maps.
        num_keypoints (int): K, channels of the part maps.
        num_layers (int): Encoder layers; 0 returns the input map unchanged (beside the
            part maps). Defaults to 2.
        num_heads (int): Attention heads. Defaults to 4.
        ffn_ratio (float): Feed-forward width over D. Defaults to 2.
        token_stride (int): Average-pooling stride from the map to the tokens; larger
            values make attention cheaper. Defaults to 1.
        saliency_guided (bool): Bias attention with the saliency map. Without it the
            part maps are still returned (and may still be trained) but do not steer
            attention. Defaults to ``True``.
        saliency_floor (float): Lower clamp of ``s`` before the log. Defaults to 1e-3.
        dropout (float): Dropout in the layers. Defaults to 0.
    """

    def __init__(self, embed_dims: int, num_keypoints: int, num_layers: int = 2,
                 num_heads: int = 4, ffn_ratio: float = 2., token_stride: int = 1,
                 saliency_guided: bool = True, saliency_floor: float = 1e-3,
                 dropout: float = 0.) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'num_heads ({num_heads}) must divide embed_dims '
                             f'({embed_dims})')
        if token_stride < 1:
            raise ValueError(f'token_stride must be >= 1, got {token_stride}')
        if num_layers < 0:
            raise ValueError(f'num_layers must be >= 0, got {num_layers}')
        if not 0 < saliency_floor < 1:
            raise ValueError(f'saliency_floor must be in (0, 1), got {saliency_floor}')
        self.embed_dims = embed_dims
        self.num_keypoints = num_keypoints
        self.token_stride = token_stride
        self.saliency_guided = saliency_guided
        self.saliency_floor = saliency_floor
        self.part_classifier = nn.Conv2d(embed_dims, num_keypoints, 1)
        self.layers = nn.ModuleList([
            GuidedEncoderLayer(embed_dims, num_heads, ffn_ratio, dropout)
            for _ in range(num_layers)
        ])
        self.norm = nn.LayerNorm(embed_dims) if num_layers else nn.Identity()

    @staticmethod
    def saliency(part_logits: Tensor) -> Tensor:
        """Person saliency (B, 1, H, W) in (0, 1) from part maps (B, K, H, W)."""
        return part_logits.amax(dim=1, keepdim=True).sigmoid()

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Encode context.

        Args:
            x (Tensor): Fused feature map in shape (B, D, H, W).

        Returns:
            tuple: The context map (B, D, H, W) and the part maps (B, K, H, W).
        """
        part_logits = self.part_classifier(x)
        if not self.layers:
            return x, part_logits
        tokens = F.avg_pool2d(x, self.token_stride) if self.token_stride > 1 else x
        b, d, h, w = tokens.shape
        pos = sine_positional_encoding(h, w, d, device=x.device).to(x.dtype)
        key_bias = None
        if self.saliency_guided:
            sal = self.saliency(part_logits)
            if self.token_stride > 1:
                sal = F.avg_pool2d(sal, self.token_stride)
            key_bias = sal.flatten(1).clamp(min=self.saliency_floor).log()
        t = tokens.flatten(2).transpose(1, 2)  # (B, L, D)
        for layer in self.layers:
            t = layer(t, pos, key_bias)
        t = self.norm(t).transpose(1, 2).reshape(b, d, h, w)
        if self.token_stride > 1:
            t = F.interpolate(t, size=x.shape[-2:], mode='bilinear', align_corners=False)
        return x + t, part_logits
