# Copyright (c) hsjp-mmpose contributors.
"""Heatmap targets for heatmap-style jigsaw puzzles (HSJP)."""
from typing import Optional, Tuple

import numpy as np
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.codecs.utils import generate_gaussian_heatmaps, get_heatmap_maximum
from mmpose.registry import KEYPOINT_CODECS
from scipy.optimize import linear_sum_assignment

from hsjp_mmpose.jigsaw import (cell_centers, check_grid, check_grid_fits_input,
                                heatmap_cell_map, heatmap_to_input_scale)


@KEYPOINT_CODECS.register_module()
class HeatmapJigsaw(BaseKeypointCodec):
    """Encode a shuffled R x C puzzle as K = R*C Gaussian heatmaps, and decode it.

    Channel ``k`` belongs to the patch that came from cell ``k`` and peaks at the centre
    of the cell where that patch now sits (see :class:`RandomJigsaw`). The keypoints to
    encode are those cell centres, in input-image coordinates, as ``RandomJigsaw`` writes
    them to ``transformed_keypoints``.

    The heatmap region of a cell is the set of heatmap pixels that
    :func:`~hsjp_mmpose.jigsaw.geometry.heatmap_cell_map` gives it (``self.cell_map``,
    shape (H, W)): the pixels whose input locations
    :func:`~hsjp_mmpose.jigsaw.geometry.cell_index` puts in it, the same definition
    argmax decoding and ``JigsawAccuracy`` use. It holds also when the heatmap rows or
    columns do not divide by the grid (e.g. 3 rows on a 32-pixel-high heatmap: rows of
    11, 11 and 10 pixels).

    Decoding comes in two modes (``decode_mode``):

    - ``'assignment'`` (default): the K x K patch-by-cell scores (the mean of heatmap
      ``k`` over the heatmap region of cell ``c``) are solved as an assignment problem
      (:func:`scipy.optimize.linear_sum_assignment`), so the prediction is always a valid
      permutation; each keypoint is the centre of its assigned cell and its score the
      heatmap maximum inside that cell.
    - ``'argmax'``: the heatmap maximum of each channel, exactly like
      :class:`mmpose.codecs.MSRAHeatmap` without refinement; two patches may land in one
      cell.

    Note:
        - input size: [w, h]; heatmap size: [W, H]; K: number of cells (keypoints).

    Encoded:
        - heatmaps (np.ndarray): shape (K, H, W)
        - keypoint_weights (np.ndarray): shape (N, K)

    Args:
        input_size (tuple): model input size ``(w, h)``; must divide by the grid.
        heatmap_size (tuple): heatmap size ``(W, H)``; need not divide by the grid.
        grid (tuple): ``(rows, cols)`` of the puzzle.
        sigma (float): Gaussian sigma in heatmap pixels. Defaults to 2.
        decode_mode (str): ``'assignment'`` or ``'argmax'``. Defaults to ``'assignment'``.
    """

    label_mapping_table = dict(keypoint_weights='keypoint_weights')
    field_mapping_table = dict(heatmaps='heatmaps')

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 grid: Tuple[int, int],
                 sigma: float = 2.,
                 decode_mode: str = 'assignment') -> None:
        super().__init__()
        self.grid = check_grid(grid)
        check_grid_fits_input(self.grid, input_size)
        if (not isinstance(heatmap_size, (tuple, list)) or len(heatmap_size) != 2
                or not all(isinstance(v, (int, np.integer)) and v > 0 for v in heatmap_size)):
            raise ValueError(f'heatmap_size must be (w, h) of positive ints, got '
                             f'{heatmap_size!r}')
        rows, cols = self.grid
        if heatmap_size[0] < cols or heatmap_size[1] < rows:
            raise ValueError(f'heatmap_size {tuple(heatmap_size)} is smaller than the grid '
                             f'{self.grid}')
        if not sigma > 0:
            raise ValueError(f'sigma must be > 0, got {sigma!r}')
        if decode_mode not in ('assignment', 'argmax'):
            raise ValueError(f"decode_mode must be 'assignment' or 'argmax', "
                             f'got {decode_mode!r}')
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.sigma = sigma
        self.decode_mode = decode_mode
        self.num_cells = rows * cols
        self.scale_factor = heatmap_to_input_scale(self.input_size, self.heatmap_size)
        self.cell_centers = cell_centers(self.grid, self.input_size)
        # The cell of each heatmap pixel, (H, W), and its one-hot masks, (K, H, W).
        self.cell_map = heatmap_cell_map(self.grid, self.heatmap_size, self.input_size)
        self._cell_masks = self.cell_map[None] == np.arange(self.num_cells)[:, None, None]
        counts = self._cell_masks.sum(axis=(1, 2))
        if not counts.all():
            raise ValueError(f'heatmap_size {self.heatmap_size} leaves cells '
                             f'{np.flatnonzero(counts == 0).tolist()} of grid {self.grid} '
                             f'without heatmap pixels')
        # (H*W, K): column c averages a flattened heatmap over cell c.
        self._cell_means = (self._cell_masks.reshape(self.num_cells, -1).T /
                            counts[None].astype(np.float32)).astype(np.float32)

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode the K patch targets into Gaussian heatmaps.

        Args:
            keypoints (np.ndarray): patch targets (cell centres) in input-image
                coordinates, shape (1, K, 2).
            keypoints_visible (np.ndarray): shape (1, K); defaults to all ones.

        Returns:
            dict: ``heatmaps`` (K, H, W) and ``keypoint_weights`` (1, K).
        """
        if keypoints.ndim != 3 or keypoints.shape[0] != 1 or \
                keypoints.shape[1] != self.num_cells:
            raise ValueError(f'HeatmapJigsaw encodes one instance of {self.num_cells} '
                             f'patch targets (1, {self.num_cells}, 2) for grid {self.grid}, '
                             f'got keypoints of shape {keypoints.shape}')
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        heatmaps, keypoint_weights = generate_gaussian_heatmaps(
            heatmap_size=self.heatmap_size,
            keypoints=keypoints[..., :2] / self.scale_factor,
            keypoints_visible=keypoints_visible,
            sigma=self.sigma)
        return dict(heatmaps=heatmaps, keypoint_weights=keypoint_weights)

    def cell_scores(self, heatmaps: np.ndarray) -> np.ndarray:
        """K x K scores: the mean of heatmap ``k`` over the region of cell ``c``.

        The region of cell ``c`` is ``self.cell_map == c`` (see the class docstring).

        Args:
            heatmaps (np.ndarray): shape (K, H, W).

        Returns:
            np.ndarray: shape (K patches, K cells), float32.
        """
        self._check_heatmaps(heatmaps)
        flat = np.asarray(heatmaps, dtype=np.float32).reshape(self.num_cells, -1)
        return flat @ self._cell_means

    def decode_permutation(self, heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Solve the puzzle: the permutation maximising the summed patch-cell scores.

        Args:
            heatmaps (np.ndarray): shape (K, H, W).

        Returns:
            tuple: ``permutation`` (K,) int64 (``permutation[k]`` = cell of patch ``k``)
            and its per-patch scores (K,).
        """
        scores = self.cell_scores(heatmaps)
        patches, cells = linear_sum_assignment(scores, maximize=True)
        permutation = np.empty(self.num_cells, dtype=np.int64)
        permutation[patches] = cells
        return permutation, scores[np.arange(self.num_cells), permutation]

    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Decode heatmaps into K keypoints (see ``decode_mode`` in the class docstring).

        Args:
            encoded (np.ndarray): heatmaps in shape (K, H, W).

        Returns:
            tuple: keypoints (1, K, 2) in input-image coordinates and scores (1, K).
        """
        heatmaps = encoded
        self._check_heatmaps(heatmaps)
        if self.decode_mode == 'argmax':
            keypoints, scores = get_heatmap_maximum(heatmaps.copy())
            keypoints = keypoints * self.scale_factor
        else:
            permutation, _ = self.decode_permutation(heatmaps)
            keypoints = self.cell_centers[permutation].copy()
            # The maximum of heatmap k inside its assigned cell, (K,).
            scores = np.where(self._cell_masks[permutation], heatmaps,
                              -np.inf).max(axis=(1, 2)).astype(np.float32)
        return keypoints[None], scores[None]

    def _check_heatmaps(self, heatmaps: np.ndarray) -> None:
        expected = (self.num_cells, self.heatmap_size[1], self.heatmap_size[0])
        if heatmaps.shape != expected:
            raise ValueError(f'heatmaps must have shape (K, H, W)={expected} for grid '
                             f'{self.grid}, got {heatmaps.shape}')
