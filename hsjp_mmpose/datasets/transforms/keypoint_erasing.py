# Copyright (c) hsjp-mmpose contributors.
"""Take body parts out of view, so that image-level presence labels say *where* a part is."""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomKeypointErasing(BaseTransform):
    """Erase rectangles of the model input centred near random keypoints (or anywhere,
    ``anchor='random'``), and mark the keypoints they cover as not visible.

    On whole-person crops nearly every keypoint is present in every sample, so a presence
    classifier learns nothing about location. Erasing a region around a keypoint makes that
    keypoint absent *because its pixels are gone*: the presence label then varies with
    what is visible where, which is what class activation maps need to localise. Put it
    after ``TopdownAffine`` and before ``GenerateTarget`` / ``GeneratePresenceLabels``, so
    that heatmap weights and presence labels are computed after erasing.

    Required Keys:

        - img (model input, (h, w[, C]))
        - transformed_keypoints (N, K, 2)
        - keypoints_visible (N, K) or (N, K, 2)

    Modified Keys:

        - img
        - keypoints_visible: 0 for keypoints under an erased region

    Added Keys:

        - erased_boxes (np.ndarray): (M, 4) float32 ``x1, y1, x2, y2`` of the erased regions

    Args:
        prob (float): probability that a sample gets any erasing. Defaults to 0.7.
        max_regions (int): at most this many regions per sample (at least one when erasing).
            Defaults to 3.
        size_range (tuple): side of a region as a fraction of the input's shorter side.
            Defaults to ``(0.15, 0.4)``.
        aspect_range (tuple): width / height of a region. Defaults to ``(0.5, 2.0)``.
        center_jitter (float): the region's centre moves from its keypoint by up to this
            fraction of the region's side. Defaults to 0.25.
        fill (str | int | tuple): ``'noise'`` (uniform random pixels), ``'mean'`` (the
            image's mean colour), or a fixed value. Defaults to ``'noise'``.
        anchor (str): where regions are centred: ``'keypoint'`` (near a random visible
            keypoint: the erasing itself depends on where the keypoints are) or
            ``'random'`` (uniformly over the input, whatever the keypoints: the only
            use of their places is the presence label of the erased crop, which an
            annotator looking at it would give). Defaults to ``'keypoint'``.
    """

    def __init__(self,
                 prob: float = 0.7,
                 max_regions: int = 3,
                 size_range: Tuple[float, float] = (0.15, 0.4),
                 aspect_range: Tuple[float, float] = (0.5, 2.0),
                 center_jitter: float = 0.25,
                 fill: Union[str, int, Sequence[int]] = 'noise',
                 anchor: str = 'keypoint') -> None:
        super().__init__()
        if anchor not in ('keypoint', 'random'):
            raise ValueError(f"anchor must be 'keypoint' or 'random', got {anchor!r}")
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob!r}')
        if isinstance(max_regions, bool) or not isinstance(max_regions, int) or max_regions < 1:
            raise ValueError(f'max_regions must be an int >= 1, got {max_regions!r}')
        for name, (low, high), limit in (('size_range', size_range, 1.),
                                         ('aspect_range', aspect_range, None)):
            if not 0 < low <= high or (limit is not None and high > limit):
                raise ValueError(f'{name} must be (low, high) with 0 < low <= high'
                                 + (f' <= {limit}' if limit else '') + f', got {(low, high)}')
        if not 0 <= center_jitter <= 1:
            raise ValueError(f'center_jitter must be in [0, 1], got {center_jitter!r}')
        if isinstance(fill, str) and fill not in ('noise', 'mean'):
            raise ValueError(f"fill must be 'noise', 'mean' or a pixel value, got {fill!r}")
        self.prob = prob
        self.max_regions = max_regions
        self.size_range = tuple(size_range)
        self.aspect_range = tuple(aspect_range)
        self.center_jitter = center_jitter
        self.fill = fill
        self.anchor = anchor

    def _fill(self, img: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
        if self.fill == 'noise':
            return np.random.randint(0, 256, shape).astype(img.dtype)
        if self.fill == 'mean':
            return np.broadcast_to(img.reshape(-1, *img.shape[2:]).mean(0), shape).astype(
                img.dtype)
        return np.broadcast_to(np.asarray(self.fill, dtype=img.dtype), shape)

    required_keys: Tuple[str, ...] = ('img', 'transformed_keypoints', 'keypoints_visible')

    def transform(self, results: Dict) -> Optional[dict]:
        for key in self.required_keys:
            if results.get(key) is None:
                raise KeyError(f'{type(self).__name__} needs `{key}`; put it after '
                               'TopdownAffine in a pipeline that loads keypoints')
        results['erased_boxes'] = np.zeros((0, 4), np.float32)
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        h, w = img.shape[:2]
        kpts = np.asarray(results['transformed_keypoints'], dtype=np.float32)[..., :2]
        visible = np.array(results['keypoints_visible'], dtype=np.float32)
        vis = visible[..., 0] if visible.ndim == 3 else visible
        usable = (vis > 0) & (kpts[..., 0] >= 0) & (kpts[..., 0] < w) & \
            (kpts[..., 1] >= 0) & (kpts[..., 1] < h)
        erased = self._erase(img, kpts, vis, usable, results)
        if erased is None:
            return results
        img, boxes = erased
        if visible.ndim == 3:
            visible[..., 0] = vis
        results['img'] = img
        results['keypoints_visible'] = visible if visible.ndim == 3 else vis
        results['erased_boxes'] = np.asarray(boxes, np.float32).reshape(-1, 4)
        return results

    def _erase(self, img: np.ndarray, kpts: np.ndarray, vis: np.ndarray,
               usable: np.ndarray, results: Dict) -> Optional[Tuple[np.ndarray, list]]:
        """Erase regions of a copy of ``img`` and zero ``vis`` (N, K) in place for the
        keypoints under them; ``usable`` (N, K) marks the visible keypoints inside the
        input. Returns the new image and the ``(x1, y1, x2, y2)`` boxes, or ``None`` to
        leave ``results`` as they are."""
        h, w = img.shape[:2]
        candidates = [tuple(c) for c in np.argwhere(usable)]  # (instance, keypoint) pairs
        if not candidates and self.anchor == 'keypoint':
            return None
        img = img.copy()
        boxes = []
        for _ in range(np.random.randint(1, self.max_regions + 1)):
            if self.anchor == 'keypoint':  # drawn first: the random stream of earlier runs
                n, k = candidates[np.random.randint(len(candidates))]
            side = np.random.uniform(*self.size_range) * min(h, w)
            aspect = np.exp(np.random.uniform(*np.log(self.aspect_range)))
            bw, bh = side * np.sqrt(aspect), side / np.sqrt(aspect)
            if self.anchor == 'random':
                cx, cy = np.random.uniform(0, w), np.random.uniform(0, h)
            else:
                cx, cy = kpts[n, k] + np.random.uniform(-1, 1, 2) * self.center_jitter * \
                    np.array([bw, bh])
            x1, y1 = int(round(max(cx - bw / 2, 0))), int(round(max(cy - bh / 2, 0)))
            x2, y2 = int(round(min(cx + bw / 2, w))), int(round(min(cy + bh / 2, h)))
            if x2 <= x1 or y2 <= y1:
                continue
            img[y1:y2, x1:x2] = self._fill(img, img[y1:y2, x1:x2].shape)
            covered = ((kpts[..., 0] >= x1) & (kpts[..., 0] < x2) & (kpts[..., 1] >= y1) &
                       (kpts[..., 1] < y2))
            vis[covered] = 0
            boxes.append((x1, y1, x2, y2))
        return img, boxes

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, max_regions={self.max_regions}, '
                f'size_range={self.size_range}, aspect_range={self.aspect_range}, '
                f'center_jitter={self.center_jitter}, fill={self.fill!r}, '
                f'anchor={self.anchor!r})')


@TRANSFORMS.register_module()
class RandomSideErasing(RandomKeypointErasing):
    """Erase the model input on one side of a vertical line between a left/right keypoint
    pair (or, ``anchor='random'``, anywhere across the middle of the input), and mark the
    keypoints there as not visible.

    ``RandomKeypointErasing`` and truncating crops mostly take both keypoints of a pair out
    of view together, so presence labels rarely tell left from right. Here a random pair
    (both visible and inside the input; ``flip_indices`` gives the pairs) is split: the line
    runs through the midpoint of the two, and one side of it, chosen at random, is erased,
    so exactly one of the pair (and everything else beyond the line) becomes absent.

    Required Keys:

        - img (model input, (h, w[, C]))
        - transformed_keypoints (N, K, 2)
        - keypoints_visible (N, K) or (N, K, 2)
        - flip_indices (list[int])

    Modified Keys:

        - img
        - keypoints_visible: 0 for keypoints on the erased side

    Added Keys:

        - erased_boxes (np.ndarray): (M, 4) float32 ``x1, y1, x2, y2`` (one box or none)

    Args:
        prob (float): probability of erasing a side. Defaults to 0.3.
        fill (str | int | tuple): See ``RandomKeypointErasing``. Defaults to ``'noise'``.
        anchor (str): ``'pair'``: the line runs through the midpoint of a random visible
            pair (where the keypoints are decides where the input is erased); ``'random'``:
            at a uniformly random column of the middle half of the input, whatever the
            keypoints (only the presence labels of the erased input then tell which keypoints
            lay on which side). Defaults to ``'pair'``.
    """

    def __init__(self, prob: float = 0.3, fill: Union[str, int, Sequence[int]] = 'noise',
                 anchor: str = 'pair'):
        if anchor not in ('pair', 'random'):
            raise ValueError(f"anchor must be 'pair' or 'random', got {anchor!r}")
        super().__init__(prob=prob, fill=fill)
        self.side_anchor = anchor

    required_keys = RandomKeypointErasing.required_keys + ('flip_indices', )

    def _erase(self, img: np.ndarray, kpts: np.ndarray, vis: np.ndarray,
               usable: np.ndarray, results: Dict) -> Optional[Tuple[np.ndarray, list]]:
        w = img.shape[1]
        if self.side_anchor == 'random':
            line = int(round(np.random.uniform(0.25, 0.75) * w))
            return self._erase_side(img, kpts, vis, line)
        pairs = [(n, k, j) for n in range(len(kpts))
                 for k, j in enumerate(results['flip_indices'])
                 if k < j and usable[n, k] and usable[n, j]
                 and int(kpts[n, k, 0]) != int(kpts[n, j, 0])]
        if not pairs:
            return None
        n, k, j = pairs[np.random.randint(len(pairs))]
        line = int(round((kpts[n, k, 0] + kpts[n, j, 0]) / 2))
        return self._erase_side(img, kpts, vis, line)

    def _erase_side(self, img: np.ndarray, kpts: np.ndarray, vis: np.ndarray,
                    line: int) -> Optional[Tuple[np.ndarray, list]]:
        """Erase one side of the column ``line``, chosen at random; zero ``vis`` there."""
        w = img.shape[1]
        x1, x2 = (0, line) if np.random.rand() < 0.5 else (line, w)
        if x2 <= x1:
            return None
        img = img.copy()
        img[:, x1:x2] = self._fill(img, img[:, x1:x2].shape)
        vis[(kpts[..., 0] >= x1) & (kpts[..., 0] < x2)] = 0
        return img, [(x1, 0, x2, img.shape[0])]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, fill={self.fill!r}, '
                f'anchor={self.side_anchor!r})')
