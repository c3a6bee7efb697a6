# Copyright (c) hsjp-mmpose contributors.
from itertools import permutations

import numpy as np
import pytest
from mmpose.registry import KEYPOINT_CODECS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.codecs import HeatmapJigsaw
from hsjp_mmpose.jigsaw import cell_centers, permutation_from_keypoints
from hsjp_mmpose.jigsaw import cell_index, heatmap_cell_map

# (grid, input_size, heatmap_size) whose heatmap rows and/or columns do not divide by
# the grid (input sizes must), or whose heatmap pixels fall on cell boundaries only up
# to float32 rounding.
NON_DIVIDING = [
    ((3, 3), (96, 96), (32, 32)),
    ((4, 3), (96, 128), (24, 32)),
    ((4, 3), (96, 96), (32, 24)),  # 32 columns over 3 cells, 24 rows over 4
    ((3, 3), (75, 75), (25, 25)),
    ((3, 3), (96, 96), (25, 25)),  # scale 3.84
    ((3, 3), (156, 156), (33, 33)),  # pixels on cell boundaries, inexact float32 scale
]


def _targets(grid, input_size, perm):
    return cell_centers(grid, input_size)[np.asarray(perm)][None]


def test_build_from_registry():
    codec = KEYPOINT_CODECS.build(
        dict(type='HeatmapJigsaw', input_size=(192, 256), heatmap_size=(48, 64), grid=(4, 3)))
    assert isinstance(codec, HeatmapJigsaw)
    assert codec.num_cells == 12


def test_encode_shapes_and_peaks():
    codec = HeatmapJigsaw(input_size=(96, 128), heatmap_size=(24, 32), grid=(4, 3), sigma=1.)
    perm = np.random.RandomState(0).permutation(12)
    encoded = codec.encode(_targets((4, 3), (96, 128), perm))
    assert encoded['heatmaps'].shape == (12, 32, 24)
    assert encoded['keypoint_weights'].shape == (1, 12)
    assert (encoded['keypoint_weights'] == 1).all()
    centers = cell_centers((4, 3), (24, 32))  # heatmap space
    for k in range(12):
        y, x = np.unravel_index(encoded['heatmaps'][k].argmax(), (32, 24))
        np.testing.assert_allclose([x, y], centers[perm[k]], atol=0.5)


def test_roundtrip_every_2x2_permutation():
    codec = HeatmapJigsaw(input_size=(64, 64), heatmap_size=(16, 16), grid=(2, 2))
    for perm in permutations(range(4)):
        heatmaps = codec.encode(_targets((2, 2), (64, 64), perm))['heatmaps']
        decoded, _ = codec.decode_permutation(heatmaps)
        np.testing.assert_array_equal(decoded, perm)
        keypoints, scores = codec.decode(heatmaps)
        assert keypoints.shape == (1, 4, 2) and scores.shape == (1, 4)
        np.testing.assert_array_equal(
            permutation_from_keypoints(keypoints[0], (2, 2), (64, 64)), perm)


@pytest.mark.parametrize('grid,input_size,heatmap_size', [
    ((3, 3), (192, 192), (48, 48)),
    ((3, 3), (96, 96), (32, 32)),  # heatmap does not divide by the grid
    ((4, 3), (192, 256), (48, 64)),
    ((4, 3), (96, 128), (24, 32)),
    ((4, 4), (128, 128), (32, 32)),
])
@pytest.mark.parametrize('decode_mode', ['assignment', 'argmax'])
def test_roundtrip_sampled_permutations(grid, input_size, heatmap_size, decode_mode):
    codec = HeatmapJigsaw(input_size=input_size, heatmap_size=heatmap_size, grid=grid,
                          decode_mode=decode_mode)
    rng = np.random.RandomState(1)
    num = grid[0] * grid[1]
    for _ in range(50):
        perm = rng.permutation(num)
        heatmaps = codec.encode(_targets(grid, input_size, perm))['heatmaps']
        np.testing.assert_array_equal(codec.decode_permutation(heatmaps)[0], perm)
        keypoints, _ = codec.decode(heatmaps)
        np.testing.assert_array_equal(
            permutation_from_keypoints(keypoints[0], grid, input_size), perm)


def _pixels(shape):
    """All (x, y) pixel positions of an (H, W) heatmap, row-major, shape (H*W, 2)."""
    ys, xs = np.mgrid[:shape[0], :shape[1]]
    return np.stack([xs.ravel(), ys.ravel()], axis=-1)


@pytest.mark.parametrize('grid,input_size,heatmap_size', NON_DIVIDING)
def test_every_pixel_has_one_cell_in_scoring_and_argmax(grid, input_size, heatmap_size):
    """A delta heatmap at any pixel scores only in the cell that argmax decoding (and
    ``cell_index``/``permutation_from_keypoints``) puts the pixel in."""
    num = grid[0] * grid[1]
    width, height = heatmap_size
    codec = HeatmapJigsaw(input_size, heatmap_size, grid)
    argmax = HeatmapJigsaw(input_size, heatmap_size, grid, decode_mode='argmax')
    cell_map = heatmap_cell_map(grid, heatmap_size, input_size)
    np.testing.assert_array_equal(codec.cell_map, cell_map)
    assert set(np.unique(cell_map)) == set(range(num))
    pixels = _pixels((height, width))
    by_scores, by_argmax, by_assignment = [], [], []
    for start in range(0, len(pixels), num):
        chunk = pixels[start:start + num]
        heatmaps = np.zeros((num, height, width), dtype=np.float32)
        heatmaps[np.arange(len(chunk)), chunk[:, 1], chunk[:, 0]] = 1.
        scores = codec.cell_scores(heatmaps)[:len(chunk)]
        assert ((scores > 0).sum(axis=1) == 1).all()  # one cell owns the pixel
        by_scores.append(scores.argmax(axis=1))
        keypoints, _ = argmax.decode(heatmaps)
        keypoints = keypoints[0, :len(chunk)]
        np.testing.assert_array_equal(keypoints,
                                      chunk.astype(np.float32) * codec.scale_factor)
        by_argmax.append(cell_index(keypoints, grid, input_size))
        # The assignment score of a channel is its maximum inside the assigned cell: 1
        # exactly when the assignment put it in the pixel's cell.
        perm, _ = codec.decode_permutation(heatmaps)
        _, assigned_scores = codec.decode(heatmaps)
        by_assignment.append(
            np.where(assigned_scores[0, :len(chunk)] == 1, perm[:len(chunk)], -1))
    by_scores, by_argmax = np.concatenate(by_scores), np.concatenate(by_argmax)
    np.testing.assert_array_equal(by_scores, cell_map.ravel())
    np.testing.assert_array_equal(by_argmax, cell_map.ravel())
    by_assignment = np.concatenate(by_assignment)
    hit = by_assignment >= 0
    np.testing.assert_array_equal(by_assignment[hit], cell_map.ravel()[hit])


def off_centre_targets(codec, perm, rng, placement='interior'):
    """Targets (1, K, 2) in input coordinates for ``perm``, each peak off its cell centre.

    Patch ``k`` peaks at a random pixel of cell ``perm[k]`` (by ``codec.cell_map``) more
    than one pixel from the cell centre: with ``placement='interior'`` one whose 8
    neighbours lie in the same cell, plus a sub-pixel offset that still rounds to it;
    with ``placement='edge'`` exactly on a pixel next to another cell (where rounded
    ``linspace`` cell bounds and ``cell_index`` used to disagree).

    Returns:
        tuple: targets (1, K, 2) float32 and the peak pixels (K, 2) as ``(x, y)``.
    """
    cell_map = codec.cell_map
    height, width = cell_map.shape
    padded = np.pad(cell_map, 1, mode='edge')
    interior = np.ones_like(cell_map, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            interior &= padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width] == cell_map
    allowed = interior if placement == 'interior' else ~interior
    centres = codec.cell_centers / codec.scale_factor  # heatmap coordinates
    pixels = _pixels((height, width))
    peaks = []
    for cell in perm:
        far = np.abs(pixels - np.round(centres[cell])).max(axis=1) > 1
        candidates = pixels[allowed.ravel() & far & (cell_map.ravel() == cell)]
        assert len(candidates), f'cell {cell} has no {placement} pixel off its centre'
        peaks.append(candidates[rng.randint(len(candidates))])
    peaks = np.array(peaks)
    offsets = rng.uniform(-0.4, 0.4, size=peaks.shape) if placement == 'interior' else 0.
    targets = (peaks + offsets).astype(np.float32) * codec.scale_factor
    return targets[None], peaks


@pytest.mark.parametrize('placement', ['interior', 'edge'])
@pytest.mark.parametrize('grid,input_size,heatmap_size', NON_DIVIDING)
def test_off_centre_peaks_decode_to_the_permutation(grid, input_size, heatmap_size,
                                                    placement):
    num = grid[0] * grid[1]
    codec = HeatmapJigsaw(input_size, heatmap_size, grid, sigma=1.)
    argmax = HeatmapJigsaw(input_size, heatmap_size, grid, sigma=1., decode_mode='argmax')
    rng = np.random.RandomState(2)
    for _ in range(20):
        perm = rng.permutation(num)
        targets, peaks = off_centre_targets(codec, perm, rng, placement)
        # Off the centres, yet in the cells by the shared definition.
        np.testing.assert_array_equal(cell_index(targets[0], grid, input_size), perm)
        assert (np.abs(targets[0] - codec.cell_centers[perm]).max(axis=1) > 1).all()
        heatmaps = codec.encode(targets)['heatmaps']
        for k in range(num):
            y, x = np.unravel_index(heatmaps[k].argmax(), heatmaps[k].shape)
            np.testing.assert_array_equal([x, y], peaks[k])
        np.testing.assert_array_equal(codec.decode_permutation(heatmaps)[0], perm)
        keypoints, scores = codec.decode(heatmaps)
        np.testing.assert_allclose(keypoints[0], codec.cell_centers[perm])
        np.testing.assert_allclose(scores, 1.)  # each peak lies in its assigned cell
        keypoints, _ = argmax.decode(heatmaps)
        np.testing.assert_array_equal(
            keypoints[0], peaks.astype(np.float32) * codec.scale_factor)
        np.testing.assert_array_equal(
            permutation_from_keypoints(keypoints[0], grid, input_size), perm)


def test_cell_scores_hand_made():
    """3x2 grid on a (H, W) = (5, 4) heatmap of a 12x8 input: cell rows hold pixel rows
    {0, 1}, {2, 3}, {4} (see test_heatmap_cell_map_hand_made)."""
    codec = HeatmapJigsaw(input_size=(8, 12), heatmap_size=(4, 5), grid=(3, 2))
    heatmaps = np.zeros((6, 5, 4), dtype=np.float32)
    heatmaps[0] = np.arange(20).reshape(5, 4)
    heatmaps[1, 3, 2] = 1.  # pixel (x=2, y=3): input (4, 7.2), cell 3
    heatmaps[2, 4, 0] = 2.  # pixel (x=0, y=4): input (0, 9.6), cell 4
    scores = codec.cell_scores(heatmaps)
    assert scores.shape == (6, 6) and scores.dtype == np.float32
    np.testing.assert_allclose(scores[0], [2.5, 4.5, 10.5, 12.5, 16.5, 18.5])
    np.testing.assert_allclose(scores[1], [0, 0, 0, 0.25, 0, 0])
    np.testing.assert_allclose(scores[2], [0, 0, 0, 0, 1., 0])
    np.testing.assert_allclose(scores[3:], 0)
    # Assignment: patch 1 -> cell 3, patch 2 -> cell 4, patch 0 takes the best left (5).
    perm, perm_scores = codec.decode_permutation(heatmaps)
    assert perm[0] == 5 and perm[1] == 3 and perm[2] == 4
    np.testing.assert_allclose(perm_scores[:3], [18.5, 0.25, 1.])
    keypoints, max_scores = codec.decode(heatmaps)
    np.testing.assert_allclose(keypoints[0, :3], [[6, 10], [6, 6], [2, 10]])
    np.testing.assert_allclose(max_scores[0, :3], [19., 1., 2.])
    argmax = HeatmapJigsaw(input_size=(8, 12), heatmap_size=(4, 5), grid=(3, 2),
                           decode_mode='argmax')
    keypoints, _ = argmax.decode(heatmaps)
    np.testing.assert_allclose(keypoints[0, :3], [[6, 9.6], [4, 7.2], [0, 9.6]], rtol=1e-6)
    np.testing.assert_array_equal(cell_index(keypoints[0, :3], (3, 2), (8, 12)), [5, 3, 4])


def test_assignment_resolves_collisions():
    """Two channels peaking in one cell: argmax collides, assignment stays a permutation."""
    codec = HeatmapJigsaw(input_size=(64, 64), heatmap_size=(16, 16), grid=(2, 2))
    heatmaps = codec.encode(_targets((2, 2), (64, 64), [0, 1, 2, 3]))['heatmaps']
    heatmaps[1] = 0.6 * heatmaps[0] + 0.4 * heatmaps[1]  # patch 1 mostly in cell 0
    perm, scores = codec.decode_permutation(heatmaps)
    assert sorted(perm) == [0, 1, 2, 3]
    np.testing.assert_array_equal(perm, [0, 1, 2, 3])
    assert scores.shape == (4, )
    argmax = HeatmapJigsaw(input_size=(64, 64), heatmap_size=(16, 16), grid=(2, 2),
                           decode_mode='argmax')
    kpts, _ = argmax.decode(heatmaps)
    assert permutation_from_keypoints(kpts[0], (2, 2), (64, 64))[1] == 0


def test_mapping_tables_keep_what_the_head_needs():
    codec = HeatmapJigsaw(input_size=(64, 64), heatmap_size=(16, 16), grid=(2, 2))
    assert codec.field_mapping_table == dict(heatmaps='heatmaps')
    assert codec.label_mapping_table == dict(keypoint_weights='keypoint_weights')
    assert not codec.instance_mapping_table  # PackPoseInputs' default instance table


@pytest.mark.parametrize('kwargs,match', [
    (dict(input_size=(100, 128)), r'input_size \(w, h\)=\(100, 128\).*grid'),
    (dict(grid=(4, 0)), 'grid'),
    (dict(sigma=0), 'sigma'),
    (dict(decode_mode='soft'), 'decode_mode'),
    (dict(heatmap_size=(2, 2)), 'heatmap_size'),
])
def test_invalid_arguments(kwargs, match):
    args = dict(input_size=(96, 128), heatmap_size=(24, 32), grid=(4, 3))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        HeatmapJigsaw(**args)


def test_wrong_shapes():
    codec = HeatmapJigsaw(input_size=(64, 64), heatmap_size=(16, 16), grid=(2, 2))
    with pytest.raises(ValueError, match='patch targets'):
        codec.encode(np.zeros((1, 17, 2)))
    with pytest.raises(ValueError, match='heatmaps must have shape'):
        codec.decode(np.zeros((17, 16, 16), dtype=np.float32))
