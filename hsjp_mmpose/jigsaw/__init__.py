# Copyright (c) hsjp-mmpose contributors.
"""Jigsaw conventions in one place: the grid geometry (:mod:`.geometry`: cells, their
centres, which cell a location lies in, the input-size check) and fixed permutation sets
(:mod:`.permutations`). The transform, codec, metric, heads, hooks and visualisation all
use these definitions, so they agree on every cell."""
from .geometry import (CELL_TOLERANCE, cell_centers, cell_index, check_grid,
                       check_grid_fits_input, heatmap_cell_map, heatmap_to_input_scale,
                       jigsaw_metainfo, permutation_from_keypoints)
from .permutations import maximal_hamming_permutations

__all__ = ['CELL_TOLERANCE', 'cell_centers', 'cell_index', 'check_grid',
           'check_grid_fits_input', 'heatmap_cell_map', 'heatmap_to_input_scale',
           'jigsaw_metainfo', 'maximal_hamming_permutations', 'permutation_from_keypoints']
