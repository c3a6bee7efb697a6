# Copyright (c) hsjp-mmpose contributors.
"""Parts of :class:`~hsjp_mmpose.models.heads.LocationFreeHead`, each usable alone.

The parts that see both take ``(embed_dims, num_keypoints)`` in that order."""
from .cam_pooling import CAMPooling, pool_cams
from .context_encoder import SpatialGuidedContextEncoder
from .feature_fusion import MultiScaleFeatureFusion
from .positional_encoding import sine_positional_encoding
from .prototype_generator import RelationPrototypeGenerator

__all__ = [
    'CAMPooling', 'MultiScaleFeatureFusion', 'SpatialGuidedContextEncoder',
    'RelationPrototypeGenerator', 'pool_cams', 'sine_positional_encoding'
]
