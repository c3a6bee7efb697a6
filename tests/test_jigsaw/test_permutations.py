# Copyright (c) hsjp-mmpose contributors.
import math
from itertools import combinations

import numpy as np
import pytest

from hsjp_mmpose.jigsaw import maximal_hamming_permutations


def _min_distance(perms):
    return min((a != b).sum() for a, b in combinations(perms, 2))


@pytest.mark.parametrize('num_cells,num', [(4, 6), (6, 30), (9, 100), (12, 50)])
def test_valid_distinct_and_deterministic(num_cells, num):
    perms = maximal_hamming_permutations(num_cells, num, seed=3)
    assert perms.shape == (num, num_cells) and perms.dtype == np.int64
    assert all(sorted(p) == list(range(num_cells)) for p in perms)
    assert len({tuple(p) for p in perms}) == num
    np.testing.assert_array_equal(perms, maximal_hamming_permutations(num_cells, num, seed=3))
    assert not perms.flags.writeable  # cached: callers must copy


def test_far_apart_compared_with_random():
    perms = maximal_hamming_permutations(9, 30, seed=0)
    rng = np.random.default_rng(0)
    random = [rng.permutation(9) for _ in range(30)]
    assert _min_distance(perms) > _min_distance(random)
    assert _min_distance(perms) >= 7  # 30 of 9! can be very far apart


def test_seed_changes_the_set():
    a = maximal_hamming_permutations(9, 20, seed=0)
    b = maximal_hamming_permutations(9, 20, seed=1)
    assert not np.array_equal(a, b)


def test_all_of_a_small_grid():
    perms = maximal_hamming_permutations(4, math.factorial(4))
    assert len({tuple(p) for p in perms}) == 24


@pytest.mark.parametrize('num_cells,num', [(4, 25), (4, 0), (1, 1)])
def test_invalid(num_cells, num):
    with pytest.raises(ValueError):
        maximal_hamming_permutations(num_cells, num)
