# Copyright (c) hsjp-mmpose contributors.
"""Fixed sets of permutations with maximal Hamming distance (the classic jigsaw recipe)."""
import math
from functools import lru_cache

import numpy as np

#: Enumerate all K! permutations as candidates up to this many; sample beyond it.
MAX_ENUMERATED = 50_000
#: Candidate pool size when K! is too large to enumerate.
MIN_POOL = 10_000


@lru_cache(maxsize=32)
def _maximal_hamming_permutations(num_cells: int, num_permutations: int,
                                  seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    total = math.factorial(num_cells)
    if total <= MAX_ENUMERATED:
        from itertools import permutations
        pool = np.array(list(permutations(range(num_cells))), dtype=np.int64)
    else:
        pool_size = max(MIN_POOL, 10 * num_permutations)
        pool = np.argsort(rng.random((pool_size, num_cells)), axis=1)
        pool = np.unique(pool, axis=0)
    first = int(rng.integers(len(pool)))
    chosen = [first]
    # Minimum Hamming distance of every candidate to the chosen set, updated greedily.
    min_dist = (pool != pool[first]).sum(axis=1)
    for _ in range(num_permutations - 1):
        nxt = int(np.argmax(min_dist))
        chosen.append(nxt)
        min_dist = np.minimum(min_dist, (pool != pool[nxt]).sum(axis=1))
    result = pool[chosen].copy()
    result.setflags(write=False)
    return result


def maximal_hamming_permutations(num_cells: int, num_permutations: int,
                                 seed: int = 0) -> np.ndarray:
    """Greedily choose permutations that are far apart in Hamming distance.

    The recipe of Noroozi & Favaro (ECCV 2016): start from a random permutation and
    repeatedly add the candidate whose minimum Hamming distance to the chosen set is
    largest. Candidates are all ``K!`` permutations when ``K! <= 50,000`` (grids up to 8
    cells), else ``max(10,000, 10 * N)`` uniformly sampled ones. The result depends only
    on ``(num_cells, num_permutations, seed)`` and is cached (read-only array).

    Args:
        num_cells (int): K, the number of cells.
        num_permutations (int): N, how many permutations to choose.
        seed (int): seed of the (private) generator. Defaults to 0.

    Returns:
        np.ndarray: int64 permutations in shape (N, K), pairwise distinct.
    """
    if not isinstance(num_cells, (int, np.integer)) or num_cells < 2:
        raise ValueError(f'num_cells must be an int >= 2, got {num_cells!r}')
    limit = math.factorial(num_cells)
    if (not isinstance(num_permutations, (int, np.integer)) or num_permutations < 1
            or num_permutations > limit):
        raise ValueError(f'num_permutations must be an int in [1, {limit}] for {num_cells} '
                         f'cells, got {num_permutations!r}')
    return _maximal_hamming_permutations(int(num_cells), int(num_permutations), int(seed))
