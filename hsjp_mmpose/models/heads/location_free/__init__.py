# Copyright (c) hsjp-mmpose contributors.
"""Parts of :class:`~hsjp_mmpose.models.heads.LocationFreeHead`, each usable alone."""
from .context_encoder import SpatialGuidedContextEncoder
from .feature_fusion import MultiScaleFeatureFusion
from .positional_encoding import sine_positional_encoding
from .prototype_generator import RelationPrototypeGenerator

__all__ = [
    'MultiScaleFeatureFusion', 'SpatialGuidedContextEncoder', 'RelationPrototypeGenerator',
    'sine_positional_encoding'
]
