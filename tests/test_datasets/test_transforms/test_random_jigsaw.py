# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
from mmpose.registry import TRANSFORMS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.jigsaw import cell_centers
from hsjp_mmpose.datasets.transforms import RandomJigsaw


def _cell_image(grid, input_size):
    """An image whose cell k is filled with the value 10 * (k + 1)."""
    rows, cols = grid
    w, h = input_size
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for k in range(rows * cols):
        r, c = divmod(k, cols)
        img[r * h // rows:(r + 1) * h // rows, c * w // cols:(c + 1) * w // cols] = 10 * (k + 1)
    return img


def _results(img):
    """What TopdownAffine leaves for an instance without keypoints."""
    h, w = img.shape[:2]
    return dict(img=img, input_size=(w, h), transformed_keypoints=np.zeros([]),
                keypoints_visible=np.ones((1, 1, 1)))


def test_shuffle_moves_patch_k_to_cell_perm_k():
    grid, size = (4, 3), (96, 128)
    np.random.seed(0)
    results = RandomJigsaw(grid=grid, input_size=size)(_results(_cell_image(grid, size)))
    perm = results['jigsaw_permutation']
    assert perm.dtype == np.int64 and perm.shape == (12, )
    assert sorted(perm) == list(range(12))
    for k in range(12):
        x, y = cell_centers(grid, size)[perm[k]].astype(int)
        assert results['img'][y, x, 0] == 10 * (k + 1)
    assert results['transformed_keypoints'].shape == (1, 12, 2)
    np.testing.assert_allclose(results['transformed_keypoints'][0],
                               cell_centers(grid, size)[perm])
    assert results['keypoints_visible'].shape == (1, 12)
    assert results['jigsaw_grid'] == grid


def test_patch_jitter_leaves_grey_margins():
    grid, size = (4, 3), (96, 128)
    np.random.seed(1)
    img = _cell_image(grid, size)
    out = RandomJigsaw(grid=grid, input_size=size, patch_jitter=4, fill=128)(_results(img))['img']
    # Each 32x32 cell holds a 28x28 patch of one source value and 32*32-28*28 grey pixels.
    for cell in range(12):
        r, c = divmod(cell, 3)
        block = out[r * 32:(r + 1) * 32, c * 32:(c + 1) * 32, 0]
        assert (block == 128).sum() == 32 * 32 - 28 * 28
        values = set(np.unique(block)) - {128}
        assert len(values) == 1


def test_patch_jitter_ratio():
    t = RandomJigsaw(grid=(2, 2), input_size=(64, 64), patch_jitter=0.25)
    assert t._jitter_pixels(32, 32) == (8, 8)


def test_input_size_from_results_and_topdown_affine_placeholders():
    t = TRANSFORMS.build(dict(type='RandomJigsaw', grid=(2, 2)))
    results = t(_results(np.zeros((64, 48, 3), np.uint8)))
    assert results['transformed_keypoints'].shape == (1, 4, 2)
    assert results['keypoints_visible'].shape == (1, 4)
    with pytest.raises(ValueError, match=r'input_size \(w, h\)=\(51, 64\).*grid'):
        t(_results(np.zeros((64, 51, 3), np.uint8)))
    results = _results(np.zeros((64, 48, 3), np.uint8))
    del results['input_size']
    with pytest.raises(KeyError, match='input_size'):
        t(results)


def test_fixed_permutation_set():
    t = RandomJigsaw(grid=(3, 3), input_size=(96, 96), permutations=10, permutation_seed=5)
    allowed = {tuple(p) for p in t.permutation_set}
    assert len(allowed) == 10
    np.random.seed(0)
    seen = {tuple(t(_results(np.zeros((96, 96, 3), np.uint8)))['jigsaw_permutation'])
            for _ in range(60)}
    assert seen <= allowed and len(seen) > 5


def test_photometric_jitter_and_grayscale():
    grid, size = (2, 2), (64, 64)
    img = np.random.RandomState(0).randint(0, 255, (64, 64, 3)).astype(np.uint8)
    np.random.seed(0)
    out = RandomJigsaw(grid=grid, input_size=size, grayscale_prob=1.)(_results(img))['img']
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    np.random.seed(0)
    out = RandomJigsaw(grid=grid, input_size=size, color_jitter=0.5)(_results(img.copy()))
    assert out['img'].dtype == np.uint8
    assert sorted(np.unique(out['img'])) != sorted(np.unique(img))


def test_global_numpy_rng_repeats_when_seeded_and_differs_per_worker():
    from mmengine.dataset import worker_init_fn
    t = RandomJigsaw(grid=(4, 3), input_size=(96, 128), patch_jitter=4)
    img = _cell_image((4, 3), (96, 128))

    def epoch(worker_id):
        worker_init_fn(worker_id, num_workers=2, rank=0, seed=42)
        return [t(_results(img))['img'] for _ in range(3)]

    w0, w0_again, w1 = epoch(0), epoch(0), epoch(1)
    for a, b in zip(w0, w0_again):
        np.testing.assert_array_equal(a, b)  # seeded runs repeat
    assert any(not np.array_equal(a, b) for a, b in zip(w0, w1))  # workers differ
    # A persistent worker's later samples (next epoch) differ from its first ones.
    assert not np.array_equal(w0[0], t(_results(img))['img'])


@pytest.mark.parametrize('kwargs,match', [
    (dict(permutations='some'), 'permutations'),
    (dict(permutations=10**9), 'num_permutations'),
    (dict(patch_jitter=-1), 'patch_jitter'),
    (dict(patch_jitter=1.5), 'patch_jitter'),
    (dict(patch_jitter=32, input_size=(96, 128)), 'patch_jitter=32'),
    (dict(input_size=(100, 128)), r'input_size \(w, h\)=\(100, 128\) must divide by grid'),
    (dict(grid=(0, 3)), 'grid'),
    (dict(color_jitter=2.), 'color_jitter'),
    (dict(grayscale_prob=-0.1), 'grayscale_prob'),
])
def test_invalid_arguments(kwargs, match):
    args = dict(grid=(4, 3))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        RandomJigsaw(**args)


def test_repr():
    assert 'patch_jitter=4' in repr(RandomJigsaw(grid=(4, 3), patch_jitter=4))
