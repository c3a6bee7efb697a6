# Copyright (c) hsjp-mmpose contributors.
from .heatmap_jigsaw import HeatmapJigsaw  # noqa: F401
from .jigsaw_utils import cell_centers, permutation_from_keypoints  # noqa: F401
