# Copyright (c) hsjp-mmpose contributors.
from itertools import permutations

import numpy as np
import pytest
from mmpose.registry import KEYPOINT_CODECS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.codecs import HeatmapJigsaw, cell_centers, permutation_from_keypoints


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
