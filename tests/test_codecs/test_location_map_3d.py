# Copyright (c) hsjp-mmpose contributors.
"""LocationMap3D: Gaussian heatmaps + root-relative X/Y/Z location maps."""
import numpy as np
import pytest

from hsjp_mmpose.codecs import LocationMap3D

K = 17


def _codec(**kwargs):
    return LocationMap3D(input_size=(96, 128), heatmap_size=(24, 32), sigma=2, **kwargs)


def _person(rng):
    """Keypoints on heatmap pixel centres (input space, scale 4) and 3D targets in mm."""
    cols, rows = rng.integers(1, 23, K), rng.integers(1, 31, K)
    keypoints = (np.stack([cols, rows], axis=-1) * 4.).astype(np.float32)[None]
    target = rng.uniform(-900., 900., (1, K, 3)).astype(np.float32)
    return keypoints, target


def test_encode_shapes_and_units():
    codec = _codec()
    keypoints, target = _person(np.random.default_rng(0))
    encoded = codec.encode(keypoints, np.ones((1, K)), lifting_target=target)
    assert encoded['heatmaps'].shape == (K, 32, 24)
    assert encoded['keypoint_weights'].shape == (1, K)
    assert encoded['location_weights'].shape == (1, K)
    # stored in metres (location_scale=1000 mm per unit)
    np.testing.assert_allclose(encoded['location_targets'], target / 1000., rtol=1e-6)
    assert set(codec.auxiliary_encode_keys) == {'lifting_target', 'lifting_target_visible'}
    assert 'location_targets' in codec.label_mapping_table


def test_round_trip_reads_the_maps_at_the_heatmap_peaks():
    """Encode, write each joint's target at its peak pixel only (noise elsewhere), decode."""
    rng = np.random.default_rng(1)
    codec = _codec()
    keypoints, target = _person(rng)
    encoded = codec.encode(keypoints, np.ones((1, K)), lifting_target=target)
    heatmaps = encoded['heatmaps']
    maps = rng.normal(0., 5., (3, K, 32, 24)).astype(np.float32)
    cols, rows = (keypoints[0] / 4).astype(int).T
    maps[:, np.arange(K), rows, cols] = encoded['location_targets'][0].T
    decoded, scores = codec.decode(heatmaps, maps.reshape(3 * K, 32, 24))
    assert decoded.shape == (1, K, 3) and scores.shape == (1, K)
    np.testing.assert_allclose(decoded, target, atol=1e-3)  # mm
    keypoints_2d, _ = codec.decode_keypoints_2d(heatmaps)
    assert keypoints_2d.shape == (1, K, 2)
    np.testing.assert_allclose(keypoints_2d, keypoints, atol=1.)


def test_round_trip_with_other_location_scale():
    codec = _codec(location_scale=1.)
    keypoints, target = _person(np.random.default_rng(2))
    encoded = codec.encode(keypoints, None, lifting_target=target)
    constant = np.broadcast_to(encoded['location_targets'][0].T.reshape(3 * K, 1, 1),
                               (3 * K, 32, 24))
    decoded, _ = codec.decode(encoded['heatmaps'], np.ascontiguousarray(constant))
    np.testing.assert_allclose(decoded, target, atol=1e-2)


def test_root_index_makes_decoding_blind_to_a_common_offset():
    """With root_index the maps may carry any per-person offset: decoding removes it."""
    keypoints, target = _person(np.random.default_rng(5))
    target = target - target[:, [11, 12]].mean(axis=1, keepdims=True)  # root-relative
    codec = _codec(root_index=(11, 12))
    encoded = codec.encode(keypoints, None, lifting_target=target)
    offset = np.array([0.3, -1.2, 4.0], dtype=np.float32)  # metres
    maps = (encoded['location_targets'][0] + offset).T.reshape(3 * K, 1, 1)
    decoded, _ = codec.decode(encoded['heatmaps'], np.ascontiguousarray(
        np.broadcast_to(maps, (3 * K, 32, 24))))
    np.testing.assert_allclose(decoded, target, atol=1e-2)
    np.testing.assert_allclose(decoded[0, [11, 12]].mean(axis=0), 0., atol=1e-2)
    with pytest.raises(ValueError, match='root_index'):
        _codec(root_index=[])


def test_weights_follow_2d_visibility_and_3d_availability():
    codec = _codec()
    keypoints, target = _person(np.random.default_rng(3))
    keypoints[0, 0] = (-50., -50.)  # outside the heatmap
    visible = np.ones((1, K))
    visible[0, 1] = 0  # not visible in 2D
    available = np.ones((1, K))
    available[0, 2] = 0  # no 3D annotation
    encoded = codec.encode(keypoints, visible, lifting_target=target,
                           lifting_target_visible=available)
    assert encoded['keypoint_weights'][0, :3].tolist() == [0, 0, 1]
    assert encoded['location_weights'][0, :3].tolist() == [0, 0, 0]
    assert encoded['location_weights'][0, 3:].min() == 1
    # the 3D availability alone (the running mean pose of LocationMap3DHead counts every
    # joint with a 3D target, whether or not it is seen in 2D)
    assert encoded['lifting_target_weight'][0, :3].tolist() == [1, 1, 0]
    assert encoded['lifting_target_weight'][0, 3:].min() == 1
    assert codec.label_mapping_table['lifting_target_weight'] == 'lifting_target_weight'


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match='sigma'):
        LocationMap3D(input_size=(96, 128), heatmap_size=(24, 32), sigma=0)
    with pytest.raises(ValueError, match='location_scale'):
        _codec(location_scale=-1.)
    with pytest.raises(ValueError, match='heatmap_size'):
        LocationMap3D(input_size=(96, 128), heatmap_size=(24,), sigma=2)
    codec = _codec()
    keypoints, target = _person(np.random.default_rng(4))
    with pytest.raises(ValueError, match='GetRootRelativeKeypoints3D'):
        codec.encode(keypoints, None)
    with pytest.raises(ValueError, match='one instance'):
        codec.encode(np.concatenate([keypoints, keypoints]), None, lifting_target=target)
    with pytest.raises(ValueError, match='location_maps must have shape'):
        codec.decode(np.zeros((K, 32, 24)), np.zeros((K, 32, 24)))
