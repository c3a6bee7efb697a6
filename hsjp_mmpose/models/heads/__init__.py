# Copyright (c) hsjp-mmpose contributors.
from .location_free import (MultiScaleFeatureFusion, RelationPrototypeGenerator,  # noqa: F401
                            SpatialGuidedContextEncoder)
from .location_free_head import LocationFreeHead  # noqa: F401
