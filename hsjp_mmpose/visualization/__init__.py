# Copyright (c) hsjp-mmpose contributors.
from .jigsaw import draw_jigsaw_panel, reassemble  # noqa: F401
from .cam import draw_cam_grid, draw_sample_cams, overlay_cam  # noqa: F401
from .curves import plot_convergence  # noqa: F401
