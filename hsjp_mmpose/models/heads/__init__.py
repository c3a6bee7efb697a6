# Copyright (c) hsjp-mmpose contributors.
from .location_free import (CAMPooling, MultiScaleFeatureFusion,  # noqa: F401
                            RelationPrototypeGenerator, SpatialGuidedContextEncoder)
from .location_free_head import LocationFreeHead  # noqa: F401
from .jigsaw_classification_head import JigsawClassificationHead  # noqa: F401
from .location_map_3d_head import LocationMap3DHead  # noqa: F401
