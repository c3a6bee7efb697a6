# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest

from hsjp_mmpose.jigsaw import (cell_centers, cell_index, heatmap_cell_map,
                                             heatmap_to_input_scale, jigsaw_metainfo,
                                             permutation_from_keypoints)


def test_cell_centers_row_major():
    centers = cell_centers((2, 3), (192, 256))  # (rows, cols), (w, h)
    assert centers.shape == (6, 2)
    np.testing.assert_allclose(centers[0], [32, 64])
    np.testing.assert_allclose(centers[2], [160, 64])  # row 0, col 2
    np.testing.assert_allclose(centers[3], [32, 192])  # row 1, col 0


def test_cell_index_roundtrip_and_clipping():
    centers = cell_centers((4, 3), (96, 128))
    np.testing.assert_array_equal(cell_index(centers, (4, 3), (96, 128)), np.arange(12))
    assert cell_index(np.array([[-5., 500.]]), (4, 3), (96, 128))[0] == 9


def test_heatmap_cell_map_hand_made():
    """Grid 3x2 on a 5x4 (H, W) heatmap of an 12x8 (h, w) input: rows do not divide.

    Pixel row j sits at input y = 2.4 j = 0, 2.4, 4.8, 7.2, 9.6 and cell rows are 4 high,
    so pixel rows go to cell rows 0, 0, 1, 1, 2 (rounded linspace bounds would give
    0, 0, 1, 2, 2); pixel column i sits at x = 2 i and cell columns are 4 wide.
    """
    expected = np.array([[0, 0, 1, 1],
                         [0, 0, 1, 1],
                         [2, 2, 3, 3],
                         [2, 2, 3, 3],
                         [4, 4, 5, 5]])
    cell_map = heatmap_cell_map((3, 2), (4, 5), (8, 12))
    assert cell_map.dtype == np.int64
    np.testing.assert_array_equal(cell_map, expected)
    np.testing.assert_allclose(heatmap_to_input_scale((8, 12), (4, 5)), [2., 2.4])
    # The same cells from cell_index on the pixels' input locations.
    ys, xs = np.mgrid[:5, :4]
    np.testing.assert_array_equal(
        cell_index(np.stack([xs * 2., ys * 2.4], axis=-1), (3, 2), (8, 12)), expected)


def test_heatmap_cell_map_rows_of_unequal_height():
    # 32 heatmap rows, 3 cell rows, input 96: pixel j at y = 3 j, cells [0, 32), [32, 64),
    # [64, 96) hold 11, 11 and 10 pixel rows.
    cell_map = heatmap_cell_map((3, 3), (32, 32), (96, 96))
    np.testing.assert_array_equal(np.bincount(cell_map[:, 0]), [11, 0, 0, 11, 0, 0, 10])
    assert cell_map[21, 0] == 3 and cell_map[22, 0] == 6  # y = 63 and y = 66
    np.testing.assert_array_equal(cell_map[0], [0] * 11 + [1] * 11 + [2] * 10)


def test_cell_index_keeps_float32_boundaries():
    """Input 156, heatmap 33: pixel 11 sits on the cell boundary y = 52, but the float32
    scale 156 / 33 puts it at 51.999996; it still belongs to the second cell row."""
    scale = heatmap_to_input_scale((156, 156), (33, 33))
    point = np.array([[0., 11.]], dtype=np.float32) * scale
    assert point[0, 1] < 52
    assert cell_index(point, (3, 3), (156, 156))[0] == 3
    cell_map = heatmap_cell_map((3, 3), (33, 33), (156, 156))
    assert cell_map[11, 0] == 3 and cell_map[22, 0] == 6
    np.testing.assert_array_equal(np.bincount(cell_map[:, 0]), [11, 0, 0, 11, 0, 0, 11])
    # Clearly below a boundary is not snapped.
    assert cell_index(np.array([[0., 51.9]]), (3, 3), (156, 156))[0] == 0


def test_permutation_from_keypoints():
    perm = np.array([2, 0, 3, 1])
    kpts = cell_centers((2, 2), (64, 64))[perm] + 3.0  # still inside the cells
    np.testing.assert_array_equal(permutation_from_keypoints(kpts, (2, 2), (64, 64)), perm)
    batched = permutation_from_keypoints(kpts[None], (2, 2), (64, 64))
    assert batched.shape == (1, 4)
    with pytest.raises(ValueError, match=r'\(\.\.\., 4, 2\)'):
        permutation_from_keypoints(kpts[:3], (2, 2), (64, 64))


@pytest.mark.parametrize('grid', [(1, 1), (2,), (0, 3), (2.0, 2)])
def test_bad_grid(grid):
    with pytest.raises(ValueError, match='grid'):
        cell_centers(grid, (64, 64))


def test_jigsaw_metainfo_parses():
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    parsed = parse_pose_metainfo(jigsaw_metainfo((4, 3)))
    assert parsed['num_keypoints'] == 12
    assert parsed['flip_indices'] == list(range(12))
    assert parsed['keypoint_id2name'][11] == 'patch_11'
    assert parsed['sigmas'].shape == (12, )
    # Neighbours in the original 4x3 layout: 4 rows x 2 links + 3 x 3 vertical links.
    assert len(parsed['skeleton_links']) == 4 * 2 + 3 * 3
    assert (0, 1) in parsed['skeleton_links'] and (0, 3) in parsed['skeleton_links']
    assert (2, 3) not in parsed['skeleton_links']  # row ends do not wrap
