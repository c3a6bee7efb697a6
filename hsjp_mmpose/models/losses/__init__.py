# Copyright (c) hsjp-mmpose contributors.
from .cross_entropy_loss import CrossEntropyLoss  # noqa: F401
from .gated_pseudo_heatmap_loss import GatedPseudoHeatmapLoss  # noqa: F401
from .region_bounded_heatmap_loss import RegionBoundedHeatmapLoss  # noqa: F401
from .region_presence_loss import RegionPresenceLoss  # noqa: F401
