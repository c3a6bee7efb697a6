# Copyright (c) hsjp-mmpose contributors.
"""RandomJigsaw's ``jigsaw_permutation_index``: the class label of jigsaw classification."""
import numpy as np
import pytest

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.jigsaw import cell_centers
from hsjp_mmpose.datasets.transforms import RandomJigsaw
from hsjp_mmpose.jigsaw import maximal_hamming_permutations


def _results(grid, size, sample_id=0):
    """An image whose cell k is filled with 10 * (k + 1), as TopdownAffine leaves it."""
    rows, cols = grid
    w, h = size
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for k in range(rows * cols):
        r, c = divmod(k, cols)
        img[r * h // rows:(r + 1) * h // rows, c * w // cols:(c + 1) * w // cols] = 10 * (k + 1)
    return dict(img=img, input_size=(w, h), id=sample_id, img_id=sample_id,
                transformed_keypoints=np.zeros((1, 1, 2)), keypoints_visible=np.ones((1, 1)))


@pytest.mark.parametrize('grid, n, seed', [((2, 2), 24, 0), ((3, 3), 100, 5), ((4, 3), 50, 1)])
def test_index_names_the_applied_permutation(grid, n, seed):
    size = (grid[1] * 16, grid[0] * 16)
    transform = RandomJigsaw(grid=grid, input_size=size, permutations=n, permutation_seed=seed)
    permutation_set = maximal_hamming_permutations(grid[0] * grid[1], n, seed)
    np.testing.assert_array_equal(transform.permutation_set, permutation_set)
    np.random.seed(0)
    seen = set()
    for sample_id in range(40):
        results = transform(_results(grid, size, sample_id))
        index = results['jigsaw_permutation_index']
        assert isinstance(index, int) and 0 <= index < n
        np.testing.assert_array_equal(permutation_set[index], results['jigsaw_permutation'])
        # ... and it is the shuffle applied to the image: patch k sits in cell perm[k]
        for k, cell in enumerate(permutation_set[index]):
            x, y = cell_centers(grid, size)[cell].astype(int)
            assert results['img'][y, x, 0] == 10 * (k + 1)
        seen.add(index)
    assert len(seen) > 5


def test_per_sample_seed_fixes_the_index():
    grid, size = (2, 2), (32, 32)
    transform = RandomJigsaw(grid=grid, input_size=size, permutations=24, per_sample_seed=True)
    first = [transform(_results(grid, size, i))['jigsaw_permutation_index'] for i in range(10)]
    again = [transform(_results(grid, size, i))['jigsaw_permutation_index'] for i in range(10)]
    assert first == again


def test_index_is_minus_one_without_a_fixed_set():
    np.random.seed(0)
    results = RandomJigsaw(grid=(2, 2), input_size=(32, 32))(_results((2, 2), (32, 32)))
    assert results['jigsaw_permutation_index'] == -1


def test_draws_are_those_of_sample_permutation():
    """Adding the index changed no puzzle: the same draws from the same generator."""
    transform = RandomJigsaw(grid=(3, 3), permutations=100)
    a = [transform.sample_permutation(np.random.RandomState(s)) for s in range(5)]
    b = [transform.sample_indexed_permutation(np.random.RandomState(s))[0] for s in range(5)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
