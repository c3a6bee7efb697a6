# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest

from hsjp_mmpose.codecs.jigsaw_utils import (cell_centers, cell_index, jigsaw_metainfo,
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
