# Copyright (c) hsjp-mmpose contributors.
"""Shuffle a top-down crop into a jigsaw puzzle whose solution is a set of keypoints."""
import inspect
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from hsjp_mmpose.jigsaw import (cell_centers, check_grid, check_grid_fits_input,
                                maximal_hamming_permutations)


@TRANSFORMS.register_module()
class RandomJigsaw(BaseTransform):
    """Cut the model input into an R x C grid, shuffle the patches and write the
    solution as K = R*C keypoints (heatmap-style jigsaw puzzles, HSJP).

    Place it after ``TopdownAffine`` (and after ``RandomFlip``: flipping a shuffled image
    would move the targets) and before ``GenerateTarget(encoder=HeatmapJigsaw(...))``.
    ``permutation[k]`` is the row-major index of the cell where the patch from cell ``k``
    now sits; keypoint ``k`` is the centre of that cell. For training, randomness comes
    from the global NumPy generator, which MMPose/mmengine seed per data-loader worker; with
    ``per_sample_seed`` (validation and test pipelines) each sample's puzzle is a function
    of ``(permutation_seed, sample id)`` alone, the same in every epoch, run and worker, so
    that ``save_best`` and ``mim test`` compare like with like.

    Required Keys:

        - img (model input, ``input_size``)
        - input_size (optional; used when ``input_size`` is not given)
        - id, img_id (with ``per_sample_seed``)

    Modified Keys:

        - img
        - transformed_keypoints (1, K, 2), overwritten with the K patch targets
        - keypoints_visible (1, K), overwritten with ones

    Added Keys:

        - jigsaw_permutation (np.int64 (K,))
        - jigsaw_permutation_index (int): the row of ``jigsaw_permutation`` in the fixed
          set (:attr:`permutation_set`) with ``permutations=N``, the class label of
          classic jigsaw classification; -1 with ``permutations='all'``
        - jigsaw_grid (tuple)

    Args:
        grid (tuple): ``(rows, cols)``. Defaults to ``(3, 3)``.
        input_size (tuple, optional): model input ``(w, h)``; must divide by the grid.
            Defaults to ``results['input_size']`` (written by ``TopdownAffine``).
        permutations (str | int): ``'all'`` to draw uniformly from all K! permutations, or
            N to draw from a fixed set of N permutations of maximal Hamming distance
            (see :func:`maximal_hamming_permutations`). Defaults to ``'all'``.
        permutation_seed (int): seed that fixes the set of N permutations. Defaults to 0.
        patch_jitter (int | float): each patch is a ``(cell - jitter)`` crop taken at a
            random offset inside its source cell and pasted at a random offset inside its
            target cell; the margin is filled with ``fill``. An int is pixels, a float in
            [0, 1) a ratio of the cell's side. 0 (default) keeps whole cells.
        fill (int | tuple): fill value of the margins (grey by default).
        color_jitter (float): strength ``s`` of per-patch photometric jitter: each patch's
            channels are scaled by factors in ``[1 - s, 1 + s]`` and shifted by up to
            ``s * 64`` grey levels. Defaults to 0 (off).
        grayscale_prob (float): probability that a patch is turned to grey (against
            colour shortcuts). Defaults to 0.
        per_sample_seed (bool): draw each sample's permutation, jitter and colours from a
            generator seeded by ``(permutation_seed, id, img_id)``: fixed puzzles for
            validation. Defaults to False (fresh puzzles every epoch, for training).
    """

    def __init__(self,
                 grid: Tuple[int, int] = (3, 3),
                 input_size: Optional[Tuple[int, int]] = None,
                 permutations: Union[str, int] = 'all',
                 permutation_seed: int = 0,
                 patch_jitter: Union[int, float] = 0,
                 fill: Union[int, Sequence[int]] = 128,
                 color_jitter: float = 0.,
                 grayscale_prob: float = 0.,
                 per_sample_seed: bool = False) -> None:
        super().__init__()
        self.grid = check_grid(grid)
        self.num_cells = self.grid[0] * self.grid[1]
        if isinstance(patch_jitter, bool) or not isinstance(patch_jitter, (int, float)) or \
                patch_jitter < 0 or (isinstance(patch_jitter, float) and patch_jitter >= 1):
            raise ValueError(f'patch_jitter must be an int >= 0 (pixels) or a float in [0, 1) '
                             f'(ratio of the cell side), got {patch_jitter!r}')
        self.patch_jitter = patch_jitter
        if not 0 <= color_jitter <= 1:
            raise ValueError(f'color_jitter must be in [0, 1], got {color_jitter!r}')
        if not 0 <= grayscale_prob <= 1:
            raise ValueError(f'grayscale_prob must be in [0, 1], got {grayscale_prob!r}')
        self.color_jitter = float(color_jitter)
        self.grayscale_prob = float(grayscale_prob)
        self.fill = fill
        self.permutation_seed = permutation_seed
        self.per_sample_seed = bool(per_sample_seed)
        if permutations == 'all':
            self.permutation_set = None
        elif isinstance(permutations, (int, np.integer)) and not isinstance(permutations, bool):
            self.permutation_set = maximal_hamming_permutations(
                self.num_cells, int(permutations), permutation_seed)
        else:
            raise ValueError(f"permutations must be 'all' or an int N (a fixed set of N "
                             f'maximal-Hamming permutations), got {permutations!r}')
        self.permutations = permutations
        self.input_size = None
        if input_size is not None:
            self.input_size = self._check_input_size(input_size)

    def _check_input_size(self, input_size: Sequence[int]) -> Tuple[int, int]:
        w, h = check_grid_fits_input(self.grid, input_size)
        rows, cols = self.grid
        jitter_h, jitter_w = self._jitter_pixels(h // rows, w // cols)
        if jitter_h >= h // rows or jitter_w >= w // cols:
            raise ValueError(f'patch_jitter={self.patch_jitter!r} leaves no patch in cells of '
                             f'{h // rows}x{w // cols} pixels (input_size {(w, h)}, grid '
                             f'{self.grid}); use a smaller jitter')
        return w, h

    def _jitter_pixels(self, cell_h: int, cell_w: int) -> Tuple[int, int]:
        if isinstance(self.patch_jitter, float):
            return int(round(self.patch_jitter * cell_h)), int(round(self.patch_jitter * cell_w))
        return int(self.patch_jitter), int(self.patch_jitter)

    def sample_rng(self, results: Dict):
        """The random source of one sample: the global NumPy generator, or with
        ``per_sample_seed`` a ``RandomState`` seeded by the sample's ids."""
        if not self.per_sample_seed:
            return np.random
        ids = [int(results.get(key) or 0) for key in ('id', 'img_id')]
        return np.random.RandomState(
            np.random.SeedSequence([self.permutation_seed, *ids]).generate_state(1)[0])

    def sample_permutation(self, rng=np.random) -> np.ndarray:
        """Draw a permutation (int64 (K,)) from ``rng`` (default: the global generator)."""
        return self.sample_indexed_permutation(rng)[0]

    def sample_indexed_permutation(self, rng=np.random) -> Tuple[np.ndarray, int]:
        """Draw a permutation (int64 (K,)) and its index in the fixed set (-1 when drawn
        from all K! permutations), with the same draws from ``rng`` as
        :meth:`sample_permutation`."""
        if self.permutation_set is None:
            return rng.permutation(self.num_cells).astype(np.int64), -1
        index = int(rng.randint(len(self.permutation_set)))
        return self.permutation_set[index].copy(), index

    def _photometric(self, patch: np.ndarray, rng) -> np.ndarray:
        if patch.ndim == 3 and self.grayscale_prob > 0 and rng.rand() < self.grayscale_prob:
            patch = np.repeat(patch.mean(axis=2, keepdims=True), patch.shape[2], axis=2)
        if self.color_jitter > 0:
            channels = patch.shape[2] if patch.ndim == 3 else 1
            gain = rng.uniform(1 - self.color_jitter, 1 + self.color_jitter, channels)
            shift = rng.uniform(-64, 64) * self.color_jitter
            patch = patch.astype(np.float32) * gain + shift
        return patch

    def shuffle(self, img: np.ndarray, permutation: np.ndarray,
                input_size: Tuple[int, int], rng=np.random) -> np.ndarray:
        """Rearrange ``img`` (h, w[, C]) according to ``permutation``."""
        w, h = input_size
        if img.shape[:2] != (h, w):
            raise ValueError(f'RandomJigsaw expects an image of input_size (w, h)={(w, h)} '
                             f'(run it after TopdownAffine), got image shape {img.shape}')
        rows, cols = self.grid
        cell_h, cell_w = h // rows, w // cols
        jitter_h, jitter_w = self._jitter_pixels(cell_h, cell_w)
        patch_h, patch_w = cell_h - jitter_h, cell_w - jitter_w
        photometric = self.color_jitter > 0 or self.grayscale_prob > 0
        if jitter_h or jitter_w:
            out = np.empty_like(img)
            out[...] = np.asarray(self.fill, dtype=img.dtype)
        else:
            out = img.copy()
        for src, dst in enumerate(permutation):
            sy = (src // cols) * cell_h + rng.randint(jitter_h + 1)
            sx = (src % cols) * cell_w + rng.randint(jitter_w + 1)
            dy = (dst // cols) * cell_h + rng.randint(jitter_h + 1)
            dx = (dst % cols) * cell_w + rng.randint(jitter_w + 1)
            patch = img[sy:sy + patch_h, sx:sx + patch_w]
            if photometric:
                patch = self._photometric(patch, rng)
                if np.issubdtype(img.dtype, np.integer):
                    info = np.iinfo(img.dtype)
                    patch = np.clip(np.rint(patch), info.min, info.max)
            out[dy:dy + patch_h, dx:dx + patch_w] = patch
        return out

    def transform(self, results: Dict) -> Dict:
        """Shuffle ``results['img']`` and write the jigsaw targets.

        Args:
            results (dict): the result dict after ``TopdownAffine``.

        Returns:
            dict: the result dict.
        """
        if self.input_size is not None:
            input_size = self.input_size
        elif results.get('input_size') is not None:
            input_size = self._check_input_size(tuple(results['input_size']))
        else:
            raise KeyError('RandomJigsaw needs input_size: pass it as an argument or run '
                           'TopdownAffine first (it writes results["input_size"])')
        if isinstance(results['img'], list):
            raise TypeError('RandomJigsaw handles one image per sample, got a list')
        rng = self.sample_rng(results)
        permutation, index = self.sample_indexed_permutation(rng)
        results['img'] = self.shuffle(results['img'], permutation, input_size, rng)
        targets = cell_centers(self.grid, input_size)[permutation]
        results['jigsaw_permutation'] = permutation
        results['jigsaw_permutation_index'] = index
        results['jigsaw_grid'] = self.grid
        results['transformed_keypoints'] = targets[None].astype(np.float32)
        results['keypoints_visible'] = np.ones((1, self.num_cells), dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(grid={self.grid}, input_size={self.input_size}, '
                f'permutations={self.permutations!r}, '
                f'permutation_seed={self.permutation_seed}, '
                f'patch_jitter={self.patch_jitter!r}, fill={self.fill!r}, '
                f'color_jitter={self.color_jitter}, grayscale_prob={self.grayscale_prob}, '
                f'per_sample_seed={self.per_sample_seed})')


def jigsaw_grid_of_pipeline(pipeline: Optional[Sequence]) -> Optional[Tuple[int, int]]:
    """The ``(rows, cols)`` of the ``RandomJigsaw`` step of a pipeline (configs or built
    transforms), or None without one: how datasets derive the grid a config states once.

    Raises:
        ValueError: two ``RandomJigsaw`` steps with different grids.
    """
    grids = []
    for step in pipeline or ():
        if isinstance(step, RandomJigsaw):
            grids.append(step.grid)
        elif isinstance(step, dict) and _is_random_jigsaw_type(step.get('type')):
            grids.append(check_grid(tuple(step.get('grid', _DEFAULT_JIGSAW_GRID))))
    if len(set(grids)) > 1:
        raise ValueError(f'the pipeline has RandomJigsaw steps with different grids '
                         f'{sorted(set(grids))}: give every step the same grid')
    return grids[0] if grids else None


#: The grid of a ``RandomJigsaw`` config that does not set one.
_DEFAULT_JIGSAW_GRID = inspect.signature(RandomJigsaw).parameters['grid'].default


def _is_random_jigsaw_type(type_) -> bool:
    if isinstance(type_, str):
        return type_.split('.')[-1] == RandomJigsaw.__name__
    return isinstance(type_, type) and issubclass(type_, RandomJigsaw)
