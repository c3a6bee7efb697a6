# Copyright (c) hsjp-mmpose contributors.
"""Relation-encoded pose prototype generation of location-free pose estimation."""
import torch
from torch import Tensor, nn

from mmpose.registry import MODELS
from .positional_encoding import sine_positional_encoding


class PrototypeDecoderLayer(nn.Module):
    """Pre-norm layer: prototype self-attention, cross-attention to context, FFN.

    Args:
        embed_dims (int): Channels D.
        num_heads (int): Attention heads.
        ffn_ratio (float): Feed-forward width over D.
        use_relation (bool): Let the prototypes attend to each other.
        dropout (float): Dropout.
    """

    def __init__(self, embed_dims: int, num_heads: int, ffn_ratio: float = 2.,
                 use_relation: bool = True, dropout: float = 0.) -> None:
        super().__init__()
        self.use_relation = use_relation
        if use_relation:
            self.norm_self = nn.LayerNorm(embed_dims)
            self.self_attn = nn.MultiheadAttention(embed_dims, num_heads, dropout=dropout,
                                                   batch_first=True)
        self.norm_cross = nn.LayerNorm(embed_dims)
        self.cross_attn = nn.MultiheadAttention(embed_dims, num_heads, dropout=dropout,
                                                batch_first=True)
        self.norm_ffn = nn.LayerNorm(embed_dims)
        hidden = int(embed_dims * ffn_ratio)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dims, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, embed_dims), nn.Dropout(dropout))

    def forward(self, protos: Tensor, query_pos: Tensor, memory: Tensor,
                memory_pos: Tensor) -> Tensor:
        """protos: (B, K, D); query_pos: (K, D); memory: (B, L, D); memory_pos: (L, D)."""
        if self.use_relation:
            h = self.norm_self(protos)
            q = h + query_pos
            protos = protos + self.self_attn(q, q, h, need_weights=False)[0]
        h = self.norm_cross(protos)
        protos = protos + self.cross_attn(
            h + query_pos, memory + memory_pos, memory, need_weights=False)[0]
        return protos + self.ffn(self.norm_ffn(protos))


@MODELS.register_module()
class RelationPrototypeGenerator(nn.Module):
    """K keypoint prototypes that encode body structure and adapt to the image.

    K learnable prototype tokens (one per keypoint, with a learnable keypoint embedding)
    pass through ``num_layers`` layers of self-attention among themselves (the relations
    between body parts) and cross-attention to the context map (with 2D sine positional
    encodings), giving image-specific prototypes. With ``num_layers=0`` the prototypes
    are static, and the head reduces to a plain CAM classifier.

    Args:
        embed_dims (int): Channels D of the context map and the prototypes.
        num_keypoints (int): K.
        num_layers (int): Layers. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 4.
        ffn_ratio (float): Feed-forward width over D. Defaults to 2.
        use_relation (bool): Self-attention among prototypes. Defaults to ``True``.
        memory_stride (int): Average-pooling stride of the context map before the
            cross-attention. Defaults to 1.
        dropout (float): Dropout. Defaults to 0.
    """

    def __init__(self, embed_dims: int, num_keypoints: int, num_layers: int = 2,
                 num_heads: int = 4, ffn_ratio: float = 2., use_relation: bool = True,
                 memory_stride: int = 1, dropout: float = 0.) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'num_heads ({num_heads}) must divide embed_dims '
                             f'({embed_dims})')
        if num_layers < 0:
            raise ValueError(f'num_layers must be >= 0, got {num_layers}')
        if memory_stride < 1:
            raise ValueError(f'memory_stride must be >= 1, got {memory_stride}')
        self.num_keypoints = num_keypoints
        self.embed_dims = embed_dims
        self.memory_stride = memory_stride
        self.prototypes = nn.Parameter(torch.randn(num_keypoints, embed_dims) * 0.02)
        self.keypoint_embed = nn.Parameter(torch.randn(num_keypoints, embed_dims) * 0.02)
        self.layers = nn.ModuleList([
            PrototypeDecoderLayer(embed_dims, num_heads, ffn_ratio, use_relation, dropout)
            for _ in range(num_layers)
        ])
        self.norm = nn.LayerNorm(embed_dims) if num_layers else nn.Identity()

    def forward(self, context: Tensor) -> Tensor:
        """Generate prototypes.

        Args:
            context (Tensor): Context map in shape (B, D, H, W).

        Returns:
            Tensor: Prototypes in shape (B, K, D).
        """
        b = context.shape[0]
        protos = self.prototypes[None].expand(b, -1, -1)
        if not self.layers:
            return protos
        memory = context
        if self.memory_stride > 1:
            memory = nn.functional.avg_pool2d(memory, self.memory_stride)
        _, d, h, w = memory.shape
        memory_pos = sine_positional_encoding(h, w, d, device=context.device)
        memory = memory.flatten(2).transpose(1, 2)
        for layer in self.layers:
            protos = layer(protos, self.keypoint_embed, memory, memory_pos.to(memory.dtype))
        return self.norm(protos)
