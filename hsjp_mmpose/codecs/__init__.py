# Copyright (c) hsjp-mmpose contributors.
from .heatmap_jigsaw import HeatmapJigsaw  # noqa: F401
from .location_map_3d import LocationMap3D  # noqa: F401
