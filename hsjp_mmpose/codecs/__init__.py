# Copyright (c) hsjp-mmpose contributors.
from .heatmap_jigsaw import HeatmapJigsaw  # noqa: F401
from .jigsaw_utils import cell_centers, permutation_from_keypoints  # noqa: F401
from .location_map_3d import LocationMap3D  # noqa: F401
