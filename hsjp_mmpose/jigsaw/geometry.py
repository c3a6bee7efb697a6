# Copyright (c) hsjp-mmpose contributors.
"""Geometry shared by the jigsaw transform, codec, metric and visualisation.

Conventions (used throughout hsjp-mmpose):

- ``grid = (rows, cols)``; cells are numbered row-major, ``k = row * cols + col``,
  and ``K = rows * cols``.
- ``size = (w, h)`` as everywhere in MMPose codecs (arrays are ``(h, w)``).
- ``permutation[k]`` is the index of the cell where the patch that came from cell ``k``
  now sits. Channel (pretext "keypoint") ``k`` belongs to the patch from cell ``k`` and
  its target is the centre of cell ``permutation[k]``.
- Cell ownership has one definition, :func:`cell_index`: a location ``(x, y)`` in an image
  of ``size = (w, h)`` lies in column ``floor(x * cols / w)`` and row
  ``floor(y * rows / h)`` (clipped into the grid; a location within
  :data:`CELL_TOLERANCE` of a cell below a boundary counts as on it). A heatmap pixel ``(i, j)`` stands for
  the input location ``(i, j) * input_size / heatmap_size`` (how MMPose maps a heatmap
  maximum back to the input) and belongs to the cell that location lies in
  (:func:`heatmap_cell_map`). The codec's cell scores, its argmax decoding,
  :func:`permutation_from_keypoints` and ``JigsawAccuracy`` therefore always agree on the
  cell of a pixel, also when the heatmap rows or columns do not divide by the grid.
"""
from typing import Sequence, Tuple

import numpy as np


def check_grid(grid: Sequence[int]) -> Tuple[int, int]:
    """Validate ``grid = (rows, cols)`` and return it as a tuple of ints."""
    if (not isinstance(grid, (tuple, list)) or len(grid) != 2
            or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in grid)
            or grid[0] * grid[1] < 2):
        raise ValueError(f'grid must be (rows, cols) of positive ints with at least 2 cells, '
                         f'got {grid!r}; e.g. grid=(4, 3)')
    return int(grid[0]), int(grid[1])


def check_grid_fits_input(grid: Sequence[int], input_size: Sequence[int]) -> Tuple[int, int]:
    """Validate a model input ``(w, h)`` for ``grid``: positive ints, ``w`` divisible by the
    columns and ``h`` by the rows (every cell the same whole number of pixels).

    Returns:
        tuple: ``(w, h)`` as ints.
    """
    if (not isinstance(input_size, (tuple, list)) or len(input_size) != 2
            or not all(isinstance(v, (int, np.integer)) and v > 0 for v in input_size)):
        raise ValueError(f'input_size must be (w, h) of positive ints, got {input_size!r}')
    rows, cols = check_grid(grid)
    w, h = int(input_size[0]), int(input_size[1])
    if w % cols or h % rows:
        fit_rows = [r for r in range(1, 9) if h % r == 0]
        fit_cols = [c for c in range(1, 9) if w % c == 0]
        raise ValueError(f'input_size (w, h)={(w, h)} must divide by grid (rows, cols)='
                         f'{(rows, cols)}: w by {cols} and h by {rows}; for this input, rows '
                         f'can be {fit_rows} and columns {fit_cols}')
    return w, h


def cell_centers(grid: Sequence[int], size: Sequence[float]) -> np.ndarray:
    """Centres of the grid cells of an image of ``size``.

    Args:
        grid (tuple): ``(rows, cols)``.
        size (tuple): image size ``(w, h)``.

    Returns:
        np.ndarray: centres ``(x, y)`` in shape (K, 2), row-major, float32.
    """
    rows, cols = check_grid(grid)
    w, h = float(size[0]), float(size[1])
    ys, xs = np.meshgrid((np.arange(rows) + 0.5) * h / rows,
                         (np.arange(cols) + 0.5) * w / cols, indexing='ij')
    return np.stack([xs.ravel(), ys.ravel()], axis=-1).astype(np.float32)


#: Locations closer than this (in cells) below a cell boundary count as on it, so that
#: float32 round trips (heatmap -> input -> image -> input) of a location on a boundary
#: keep its cell. Heatmap pixels lie at least ``1 / W`` (``1 / H``) of a cell from any
#: boundary they are not on, so this is exact for heatmaps under 1000 pixels a side.
CELL_TOLERANCE = 1e-3


def _axis_cell(coords: np.ndarray, num: int, length: float) -> np.ndarray:
    """Cell index along one axis: ``floor(coords * num / length + CELL_TOLERANCE)``,
    clipped to [0, num)."""
    cells = np.floor(np.asarray(coords, dtype=np.float64) * num / float(length)
                     + CELL_TOLERANCE)
    return np.clip(cells, 0, num - 1).astype(np.int64)


def cell_index(points: np.ndarray, grid: Sequence[int], size: Sequence[float]) -> np.ndarray:
    """Row-major index of the cell holding each point (points outside are clipped in).

    This is the one definition of which cell a location belongs to (see the module
    docstring); :func:`heatmap_cell_map` applies it to heatmap pixels.

    Args:
        points (np.ndarray): ``(x, y)`` coordinates in shape (..., 2).
        grid (tuple): ``(rows, cols)``.
        size (tuple): image size ``(w, h)``.

    Returns:
        np.ndarray: int64 cell indices in shape (...).
    """
    rows, cols = check_grid(grid)
    points = np.asarray(points, dtype=np.float64)
    col = _axis_cell(points[..., 0], cols, size[0])
    row = _axis_cell(points[..., 1], rows, size[1])
    return row * cols + col


def heatmap_to_input_scale(input_size: Sequence[int],
                           heatmap_size: Sequence[int]) -> np.ndarray:
    """The factor from heatmap to input coordinates, ``input_size / heatmap_size``.

    Args:
        input_size (tuple): model input size ``(w, h)``.
        heatmap_size (tuple): heatmap size ``(W, H)``.

    Returns:
        np.ndarray: ``(w / W, h / H)`` in shape (2,), float32 (MMPose's
        ``scale_factor``).
    """
    return (np.asarray(input_size, dtype=np.float64) /
            np.asarray(heatmap_size, dtype=np.float64)).astype(np.float32)


def heatmap_cell_map(grid: Sequence[int], heatmap_size: Sequence[int],
                     input_size: Sequence[int]) -> np.ndarray:
    """The cell each heatmap pixel belongs to.

    Pixel ``(i, j)`` is mapped to the input location
    ``(i, j) * heatmap_to_input_scale(input_size, heatmap_size)`` in float32, exactly as
    an argmax-decoded heatmap maximum is, and gets that location's :func:`cell_index`. So
    a channel whose maximum is at a pixel is decoded into the cell this map gives it.

    Args:
        grid (tuple): ``(rows, cols)``.
        heatmap_size (tuple): heatmap size ``(W, H)``.
        input_size (tuple): model input size ``(w, h)``.

    Returns:
        np.ndarray: int64 row-major cell indices in shape (H, W).
    """
    width, height = int(heatmap_size[0]), int(heatmap_size[1])
    ys, xs = np.mgrid[:height, :width]
    pixels = np.stack([xs, ys], axis=-1).astype(np.float32)  # (H, W, 2) as (x, y)
    return cell_index(pixels * heatmap_to_input_scale(input_size, heatmap_size), grid,
                      input_size)


def permutation_from_keypoints(keypoints: np.ndarray, grid: Sequence[int],
                               input_size: Sequence[float]) -> np.ndarray:
    """Read the placement of each patch from the K predicted (or target) keypoints.

    Keypoint ``k`` (in input-image coordinates) is assigned the cell it falls in, so the
    result is the ``permutation`` convention above. It need not be a permutation when
    predictions collide (two patches placed in one cell); decode with
    :meth:`HeatmapJigsaw.decode_permutation` or the codec's constrained decoding to get
    one.

    Args:
        keypoints (np.ndarray): shape (K, 2) or (N, K, 2), ``(x, y)`` in the model input.
        grid (tuple): ``(rows, cols)``.
        input_size (tuple): model input size ``(w, h)``.

    Returns:
        np.ndarray: int64 cell indices in shape (K,) or (N, K).
    """
    keypoints = np.asarray(keypoints)
    rows, cols = check_grid(grid)
    if keypoints.shape[-2:] != (rows * cols, 2):
        raise ValueError(f'keypoints must have shape (..., {rows * cols}, 2) for grid {grid}, '
                         f'got {keypoints.shape}')
    return cell_index(keypoints, grid, input_size)


def jigsaw_metainfo(grid: Sequence[int], sigma: float = 0.1,
                    dataset_name: str = 'jigsaw') -> dict:
    """A pose ``metainfo`` dict (the ``dataset_info`` format) for the K pretext keypoints.

    Keypoint ``k`` is named ``patch_k``; no keypoint swaps on flipping (flip indices are
    the identity: flipping happens before the shuffle); the skeleton links patches that
    were neighbours in the original image (so a solved puzzle draws the grid); unit joint
    weights and uniform ``sigmas``. Pass it as a dataset's ``metainfo``.
    """
    rows, cols = check_grid(grid)
    num = rows * cols
    palette = [[255, 128, 0], [51, 153, 255], [0, 255, 0], [255, 51, 255]]
    keypoint_info = {
        k: dict(name=f'patch_{k}', id=k, color=palette[k % len(palette)], type='', swap='')
        for k in range(num)
    }
    links = [(k, k + 1) for k in range(num) if (k + 1) % cols] + \
        [(k, k + cols) for k in range(num - cols)]
    skeleton_info = {
        i: dict(link=(f'patch_{a}', f'patch_{b}'), id=i, color=[96, 96, 255])
        for i, (a, b) in enumerate(links)
    }
    return dict(
        dataset_name=f'{dataset_name}_{rows}x{cols}',
        paper_info=dict(),
        keypoint_info=keypoint_info,
        skeleton_info=skeleton_info,
        joint_weights=[1.0] * num,
        sigmas=[float(sigma)] * num)
