# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest

from hsjp_mmpose.datasets.transforms.random_jigsaw import RandomJigsaw
from hsjp_mmpose.visualization import draw_jigsaw_panel, reassemble


def cell_image(grid, cell=(4, 5)):
    """(rows * 4, cols * 5, 3) uint8 image whose cell k is filled with the value k."""
    rows, cols = grid
    cells = np.arange(rows * cols, dtype=np.uint8).reshape(rows, cols)
    image = np.kron(cells, np.ones(cell, dtype=np.uint8))
    return np.repeat(image[..., None], 3, axis=2)


def test_reassemble_inverts_known_permutation():
    grid = (2, 3)
    original = cell_image(grid)
    # The patch from cell k sits in cell permutation[k].
    permutation = np.array([4, 0, 5, 1, 3, 2])
    shuffled = np.empty_like(original)
    for src, dst in enumerate(permutation):
        rs, cs, rd, cd = src // 3, src % 3, dst // 3, dst % 3
        shuffled[rd * 4:rd * 4 + 4, cd * 5:cd * 5 + 5] = original[rs * 4:rs * 4 + 4,
                                                                  cs * 5:cs * 5 + 5]
    assert shuffled[0, 0, 0] == 1  # cell 0 now holds the patch from cell 1
    np.testing.assert_array_equal(reassemble(shuffled, permutation, grid), original)
    assert reassemble(shuffled[..., 0], permutation, grid).shape == original.shape[:2]


def test_reassemble_inverts_random_jigsaw():
    np.random.seed(3)
    transform = RandomJigsaw(grid=(4, 3))
    image = np.random.randint(0, 256, (64, 48, 3), dtype=np.uint8)
    results = transform(dict(img=image.copy(), input_size=(48, 64)))
    assert not np.array_equal(results['img'], image)
    np.testing.assert_array_equal(
        reassemble(results['img'], results['jigsaw_permutation'], (4, 3)), image)


def test_reassemble_rejects_bad_input():
    image = cell_image((2, 2))
    with pytest.raises(ValueError, match='permutation'):
        reassemble(image, [0, 1, 2], (2, 2))
    with pytest.raises(ValueError, match='permutation'):
        reassemble(image, [0, 1, 2, 4], (2, 2))
    with pytest.raises(ValueError, match='divide'):
        reassemble(image[:7], [0, 1, 2, 3], (2, 2))


def test_draw_panel_shape_and_marks():
    grid = (2, 2)
    shuffled = cell_image(grid, cell=(16, 12)) * 40  # (32, 24, 3)
    gt = np.array([1, 0, 2, 3])
    pred = np.array([1, 0, 3, 2])  # cells 2 and 3 wrong
    panel = draw_jigsaw_panel(shuffled, grid, gt, pred, scale=2, gap=4)
    assert panel.dtype == np.uint8
    assert panel.shape == (32 * 2 + 18, 3 * 24 * 2 + 2 * 4, 3)
    tile = panel[18:, 2 * (48 + 4):]  # the predicted reassembly
    top_left = tile[10, 0]  # left edge of cell 0, placed right: green
    bottom_left = tile[40, 0]  # left edge of cell 2, placed wrong: red
    assert top_left[1] > 150 and top_left[0] < 50
    assert bottom_left[0] > 150 and bottom_left[1] < 50
    # Without a prediction there are two tiles.
    assert draw_jigsaw_panel(shuffled, grid, gt).shape[1] == 2 * 48 + 4


def test_draw_panel_converts_bgr():
    image = np.zeros((8, 8, 3), dtype=np.uint8)
    image[..., 0] = 255  # blue in BGR
    panel = draw_jigsaw_panel(image, (2, 2), [0, 1, 2, 3], channel_order='bgr', scale=1,
                              gap=0)
    assert tuple(panel[18 + 2, 2]) == (0, 0, 255)  # RGB blue inside a cell
    with pytest.raises(ValueError, match='channel_order'):
        draw_jigsaw_panel(image, (2, 2), [0, 1, 2, 3], channel_order='hsv')
