# Copyright (c) hsjp-mmpose contributors.
"""Draw jigsaw puzzles: a shuffled input beside its true and its predicted solution.

Conventions as in :mod:`hsjp_mmpose.jigsaw.geometry`: ``grid = (rows, cols)``, cells
numbered row-major, and ``permutation[k]`` is the cell where the patch from cell ``k`` sits
in the shuffled image.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from hsjp_mmpose.jigsaw import check_grid

__all__ = ['reassemble', 'draw_jigsaw_panel']

_GRID_COLOR = (255, 255, 255)
_RIGHT_COLOR = (0, 200, 0)
_WRONG_COLOR = (230, 0, 0)
_TITLE_HEIGHT = 18


def _cell_size(image: np.ndarray, grid: Tuple[int, int]) -> Tuple[int, int]:
    rows, cols = grid
    h, w = image.shape[:2]
    if h % rows or w % cols:
        raise ValueError(f'image of shape {image.shape} does not divide into grid (rows, cols)='
                         f'{grid}: h must divide by {rows} and w by {cols}')
    return h // rows, w // cols


def reassemble(image: np.ndarray, permutation: Sequence[int],
               grid: Sequence[int]) -> np.ndarray:
    """Move every patch of a shuffled image back to the cell it came from.

    Cell ``k`` of the result is cell ``permutation[k]`` of ``image``, which inverts
    :meth:`RandomJigsaw.shuffle` when ``permutation`` is the one it drew. A predicted
    ``permutation`` that is not one (two patches placed in one cell) is drawn as it is: a
    cell may then appear twice.

    Args:
        image (np.ndarray): The shuffled image in shape (h, w) or (h, w, C); h and w
            divide by the grid.
        permutation (Sequence[int]): Shape (K,), values in ``[0, K)``.
        grid (Sequence[int]): ``(rows, cols)`` with ``rows * cols == K``.

    Returns:
        np.ndarray: The reassembled image, same shape and dtype as ``image``.
    """
    rows, cols = check_grid(grid)
    permutation = np.asarray(permutation, dtype=np.int64).reshape(-1)
    num_cells = rows * cols
    if permutation.shape != (num_cells, ) or permutation.min() < 0 \
            or permutation.max() >= num_cells:
        raise ValueError(f'permutation must hold {num_cells} cell indices in [0, {num_cells}) '
                         f'for grid {(rows, cols)}, got {permutation.tolist()}')
    cell_h, cell_w = _cell_size(image, (rows, cols))
    out = np.empty_like(image)
    for src, dst in enumerate(permutation):
        sy, sx = (src // cols) * cell_h, (src % cols) * cell_w
        dy, dx = (dst // cols) * cell_h, (dst % cols) * cell_w
        out[sy:sy + cell_h, sx:sx + cell_w] = image[dy:dy + cell_h, dx:dx + cell_w]
    return out


def _draw_cells(image: np.ndarray, grid: Tuple[int, int], scale: int,
                correct: Optional[np.ndarray] = None) -> np.ndarray:
    """Upscale ``image`` and draw the grid; outline each cell green/red by ``correct``."""
    rows, cols = grid
    h, w = image.shape[:2]
    image = cv2.resize(image, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
    cell_h, cell_w = h * scale // rows, w * scale // cols
    for k in range(rows * cols):
        y, x = (k // cols) * cell_h, (k % cols) * cell_w
        if correct is None:
            color, thickness = _GRID_COLOR, 1
        else:
            color, thickness = (_RIGHT_COLOR if correct[k] else _WRONG_COLOR), 2
        cv2.rectangle(image, (x, y), (x + cell_w - 1, y + cell_h - 1), color, thickness)
    return image


def _titled(image: np.ndarray, title: str) -> np.ndarray:
    """Put ``title`` on a white strip above ``image``."""
    strip = np.full((_TITLE_HEIGHT, image.shape[1], 3), 255, dtype=np.uint8)
    font, font_scale = cv2.FONT_HERSHEY_SIMPLEX, 0.4
    (text_w, _), _ = cv2.getTextSize(title, font, font_scale, 1)
    font_scale *= min(1., (image.shape[1] - 4) / max(text_w, 1))  # shrink to fit
    cv2.putText(strip, title, (2, _TITLE_HEIGHT - 5), font, font_scale, (0, 0, 0), 1,
                cv2.LINE_AA)
    return np.concatenate([strip, image], axis=0)


def draw_jigsaw_panel(shuffled: np.ndarray,
                      grid: Sequence[int],
                      gt_permutation: Sequence[int],
                      pred_permutation: Optional[Sequence[int]] = None,
                      channel_order: str = 'rgb',
                      scale: int = 2,
                      gap: int = 4) -> np.ndarray:
    """Draw ``[shuffled | ground-truth reassembly | predicted reassembly]`` side by side.

    The predicted reassembly outlines each cell green when its patch was placed right and
    red when not, and its title gives the number placed right.

    Args:
        shuffled (np.ndarray): The model input, shape (h, w, 3) (or (h, w)), uint8.
        grid (Sequence[int]): ``(rows, cols)``.
        gt_permutation (Sequence[int]): The permutation that shuffled the image, (K,).
        pred_permutation (Sequence[int], optional): The predicted one, (K,); the third
            tile is left out when ``None``.
        channel_order (str): ``'rgb'`` or ``'bgr'``, the order of ``shuffled``.
        scale (int): Integer upscaling of each tile. Defaults to 2.
        gap (int): White pixels between tiles. Defaults to 4.

    Returns:
        np.ndarray: The panel, RGB uint8, shape
        (h * scale + 18, n * w * scale + (n - 1) * gap, 3) with n = 2 or 3 tiles.
    """
    grid = check_grid(grid)
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f'scale must be a positive int, got {scale!r}')
    image = np.asarray(shuffled)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    elif channel_order == 'bgr':
        image = image[..., ::-1]
    image = np.ascontiguousarray(image)

    gt = np.asarray(gt_permutation, dtype=np.int64)
    tiles = [
        _titled(_draw_cells(image, grid, scale), 'shuffled input'),
        _titled(_draw_cells(reassemble(image, gt, grid), grid, scale), 'ground truth'),
    ]
    if pred_permutation is not None:
        pred = np.asarray(pred_permutation, dtype=np.int64)
        correct = pred == gt
        tiles.append(_titled(
            _draw_cells(reassemble(image, pred, grid), grid, scale, correct),
            f'predicted: {int(correct.sum())}/{len(gt)} placed'))
    spacer = np.full((tiles[0].shape[0], gap, 3), 255, dtype=np.uint8)
    panel = [tiles[0]]
    for tile in tiles[1:]:
        panel += [spacer, tile]
    return np.concatenate(panel, axis=1)
