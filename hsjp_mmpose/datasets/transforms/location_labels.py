# Copyright (c) hsjp-mmpose contributors.
"""Image-level keypoint labels for location-free (weakly/semi-supervised) pose estimation.

Two transforms, placed after ``GenerateTarget`` and before ``PackPoseInputs``:

- :class:`GeneratePresenceLabels` turns ``keypoints_visible`` into one label per keypoint:
  is this keypoint present (annotated and inside the network input) in the crop.
- :class:`SelectLocationLabels` keeps the location labels (heatmaps) of a chosen fraction
  of instances and marks the others weak-only. The choice is a hash of
  ``(seed, img_id, instance id)``, so it is the same in every run, worker and order.

Both add their key to the ``label_mapping_table`` in effect, so ``PackPoseInputs`` puts it
into ``data_sample.gt_instance_labels`` (a codec's non-empty table replaces PackPoseInputs'
default one; extending whichever table is in effect keeps both).
"""
import hashlib
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS


def _extend_label_mapping_table(results: Dict, key: str) -> None:
    """Make ``PackPoseInputs`` pack ``results[key]`` into ``gt_instance_labels``."""
    table = results.get('label_mapping_table') or PackPoseInputs.label_mapping_table
    table = dict(table)
    table[key] = key
    results['label_mapping_table'] = table


def location_label_score(img_id: Union[int, str], instance_id: Union[int, str],
                         seed: int = 0) -> float:
    """A number in [0, 1) fixed by ``(seed, img_id, instance_id)`` alone.

    It uses BLAKE2b rather than Python's ``hash``, which is salted per process.
    """
    key = f'{seed}/{img_id}/{instance_id}'.encode('utf-8')
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, 'big') / 2.0**64


def location_label_mask(img_ids: Sequence[Union[int, str]],
                        instance_ids: Sequence[Union[int, str]], fraction: float,
                        seed: int = 0) -> np.ndarray:
    """Which instances keep their location labels.

    Each instance is kept when its :func:`location_label_score` is below ``fraction``, so
    about ``fraction`` of a large set is kept, the kept set for a smaller fraction is a
    subset of that for a larger one, and ``fraction`` 0 / 1 keeps none / all.

    Args:
        img_ids (Sequence[int | str]): Image id of each instance, shape (N, ).
        instance_ids (Sequence[int | str]): Instance (annotation) id of each instance.
        fraction (float): Fraction in [0, 1] of instances that keep location labels.
        seed (int): Selects a different subset for the same fraction.

    Returns:
        np.ndarray: Boolean mask in shape (N, ).
    """
    if len(img_ids) != len(instance_ids):
        raise ValueError(f'got {len(img_ids)} image ids but {len(instance_ids)} '
                         'instance ids; pass one of each per instance')
    return np.array([
        location_label_score(i, j, seed) < fraction for i, j in zip(img_ids, instance_ids)
    ], dtype=bool)


@TRANSFORMS.register_module()
class GeneratePresenceLabels(BaseTransform):
    """Image-level presence label of each keypoint: is it in the crop.

    A keypoint is present when it is annotated (``keypoints_visible > 0``) and, with
    ``inside_input=True``, its transformed location lies inside the network input, so
    crops that cut off limbs (``RandomHalfBody``, ``RandomBBoxTransform``) give
    informative labels.

    Required Keys:

        - keypoints_visible (np.ndarray): (N, K) or (N, K, 2) (visibility, weight)
        - transformed_keypoints (np.ndarray): (N, K, 2), when ``inside_input``
        - input_size (tuple): (w, h) of the network input, when ``inside_input``

    Added Keys:

        - keypoint_presence (np.ndarray): (N, K) float32 in {0, 1}

    Modified Keys:

        - label_mapping_table (dict): gains ``keypoint_presence``; PackPoseInputs packs
          it into ``gt_instance_labels.keypoint_presence``. Put this transform after
          ``GenerateTarget``, whose codec may set the table.

    Args:
        inside_input (bool): Also require the keypoint to be inside the input.
            Defaults to ``True``.
    """

    def __init__(self, inside_input: bool = True) -> None:
        if not isinstance(inside_input, bool):
            raise TypeError(f'inside_input must be a bool, got {inside_input!r}')
        self.inside_input = inside_input

    def transform(self, results: Dict) -> Optional[dict]:
        if 'keypoints_visible' not in results:
            raise KeyError('GeneratePresenceLabels needs `keypoints_visible`; load '
                           'annotations with keypoints (a pose dataset) first')
        visible = np.asarray(results['keypoints_visible'], dtype=np.float32)
        if visible.ndim == 3:  # (N, K, 2): visibility and its weight
            visible = visible[..., 0]
        presence = visible > 0
        if self.inside_input:
            for key in ('transformed_keypoints', 'input_size'):
                if results.get(key) is None:
                    raise KeyError(f'GeneratePresenceLabels(inside_input=True) needs '
                                   f'`{key}`: put it after TopdownAffine, or set '
                                   'inside_input=False')
            w, h = results['input_size']
            kpts = np.asarray(results['transformed_keypoints'])[..., :2]
            inside = ((kpts[..., 0] >= 0) & (kpts[..., 0] <= w - 1) &
                      (kpts[..., 1] >= 0) & (kpts[..., 1] <= h - 1))
            presence = presence & inside.reshape(presence.shape)
        results['keypoint_presence'] = presence.astype(np.float32)
        _extend_label_mapping_table(results, 'keypoint_presence')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(inside_input={self.inside_input})'


@TRANSFORMS.register_module()
class SelectLocationLabels(BaseTransform):
    """Keep location labels for a deterministic fraction of instances.

    Each instance's flag is :func:`location_label_mask` of its ``(img_id, id)``: the same
    instances are chosen for the same ``(seed, fraction)`` whatever the worker, the order
    or the augmentation. Weak-only instances keep their heatmaps in the results, but
    their ``has_location_label`` is 0 and, with ``zero_weights=True``, their
    ``keypoint_weights`` are zeroed, so no location loss reaches them (also through a
    head that ignores the flag, such as ``HeatmapHead``).

    Required Keys:

        - img_id (int)
        - id (int | list[int]): the instance (annotation) id, or one per instance;
          ``img_id`` alone when absent

    Added Keys:

        - has_location_label (np.ndarray): (N, ) float32 in {0, 1}

    Modified Keys:

        - keypoint_weights (np.ndarray): (N, K), zeroed for weak-only instances when
          ``zero_weights``
        - label_mapping_table (dict): gains ``has_location_label``; PackPoseInputs packs
          it into ``gt_instance_labels.has_location_label``. Put this transform after
          ``GenerateTarget``.

    Args:
        fraction (float): Fraction in [0, 1] of instances that keep location labels.
        seed (int): Seed of the selection. Defaults to 0.
        zero_weights (bool): Zero ``keypoint_weights`` of weak-only instances.
            Defaults to ``True``.
    """

    def __init__(self, fraction: float, seed: int = 0, zero_weights: bool = True) -> None:
        if not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
            raise ValueError(f'fraction must be a number in [0, 1], got {fraction!r} '
                             '(use 0.25 for 25% of instances)')
        if not isinstance(seed, int):
            raise TypeError(f'seed must be an int, got {seed!r}')
        self.fraction = float(fraction)
        self.seed = seed
        self.zero_weights = zero_weights

    def transform(self, results: Dict) -> Optional[dict]:
        if 'img_id' not in results:
            raise KeyError('SelectLocationLabels needs `img_id` in the results '
                           '(set by MMPose pose datasets)')
        num_instances = 1
        if results.get('keypoint_weights') is not None:
            num_instances = len(results['keypoint_weights'])
        instance_ids = results.get('id', results['img_id'])
        if isinstance(instance_ids, (list, tuple, np.ndarray)):  # bottom-up: one per instance
            instance_ids = list(instance_ids)
        else:
            instance_ids = [instance_ids] * num_instances
        keep = location_label_mask([results['img_id']] * len(instance_ids), instance_ids,
                                   self.fraction, self.seed)
        results['has_location_label'] = keep.astype(np.float32)
        if self.zero_weights and results.get('keypoint_weights') is not None:
            weights = np.asarray(results['keypoint_weights'])
            results['keypoint_weights'] = weights * keep.reshape(
                (-1, ) + (1, ) * (weights.ndim - 1)).astype(weights.dtype)
        _extend_label_mapping_table(results, 'has_location_label')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(fraction={self.fraction}, seed={self.seed}, '
                f'zero_weights={self.zero_weights})')


def keypoint_cells(keypoints: np.ndarray, input_size: Sequence[int],
                   heatmap_size: Sequence[int]) -> np.ndarray:
    """Heatmap cell ``(column, row)`` of each keypoint (..., 2) given in input pixels: the
    cell whose centre ``MSRAHeatmap`` puts its Gaussian on (``int(x / stride + 0.5)``),
    clipped to the map."""
    stride = np.asarray(input_size, np.float64) / np.asarray(heatmap_size, np.float64)
    cells = np.floor(np.asarray(keypoints, np.float64)[..., :2] / stride + 0.5)
    return np.clip(cells, 0, np.asarray(heatmap_size) - 1).astype(np.int64)


@TRANSFORMS.register_module()
class GenerateRegionPresenceLabels(BaseTransform):
    """Presence labels of random regions of the network input: is keypoint k in box r.

    Each label is the image-level presence label of a cut-out of the sample (the input
    cropped to the box, or with everything but the box erased), computed the way
    :class:`GeneratePresenceLabels` computes it for the whole input. The boxes are drawn
    uniformly over the heatmap grid, independently of where the keypoints are, so the
    labels carry location information only through their answers: ``num_regions`` bits
    per keypoint and sample. A head compares them with the share of a keypoint's map
    that lies in each box (``LocationFreeHead(region_cfg=...)``) instead of running the
    network on every cut-out.

    Boxes are in heatmap cells, ``x1, y1, x2, y2`` half-open (cells ``x1 <= c < x2``);
    a keypoint lies in the box that holds its cell (:func:`keypoint_cells`). A keypoint
    counts only when present in the whole input (annotated, not erased, inside it).

    Required Keys:

        - transformed_keypoints (np.ndarray): (N, K, 2) in input pixels
        - keypoints_visible (np.ndarray): (N, K) or (N, K, 2)
        - input_size (tuple): (w, h) of the network input
        - heatmaps (np.ndarray): (K, H, W), when ``heatmap_size`` is not given

    Added Keys:

        - region_boxes (np.ndarray): (N, R, 4) float32 boxes in heatmap cells
        - region_presence (np.ndarray): (N, R, K) float32 in {0, 1}

    Modified Keys:

        - label_mapping_table (dict): gains both keys, which ``PackPoseInputs`` packs into
          ``gt_instance_labels``. Put this transform after ``GenerateTarget``.

    Args:
        heatmap_size (tuple, optional): (w, h) of the heatmaps (the codec's
            ``heatmap_size``). Defaults to ``None``: the size of the ``heatmaps`` that
            ``GenerateTarget`` wrote.
        num_regions (int): Boxes R per instance. Defaults to 8.
        size_range (tuple): Width and height of a box as fractions of the map's width
            and height, each drawn uniformly from this range. Defaults to ``(0.2, 0.8)``.
    """

    def __init__(self, heatmap_size: Optional[Sequence[int]] = None, num_regions: int = 8,
                 size_range: Sequence[float] = (0.2, 0.8)) -> None:
        if heatmap_size is not None and (len(heatmap_size) != 2 or min(heatmap_size) < 1):
            raise ValueError(f'heatmap_size must be (w, h) of positive ints, got '
                             f'{heatmap_size!r} (pass the codec\'s heatmap_size)')
        if isinstance(num_regions, bool) or not isinstance(num_regions, int) or \
                num_regions < 1:
            raise ValueError(f'num_regions must be an int >= 1, got {num_regions!r}')
        low, high = size_range
        if not 0 < low <= high <= 1:
            raise ValueError(f'size_range must be (low, high) with 0 < low <= high <= 1, '
                             f'got {tuple(size_range)}')
        self.heatmap_size = None if heatmap_size is None else \
            tuple(int(v) for v in heatmap_size)
        self.num_regions = num_regions
        self.size_range = (float(low), float(high))

    def random_boxes(self, num: int, heatmap_size: Sequence[int]) -> np.ndarray:
        """(num, R, 4) boxes on a ``heatmap_size`` (w, h) grid, uniform in size
        (``size_range``) and position."""
        size = np.asarray(heatmap_size, np.float64)
        extent = np.maximum(
            np.round(np.random.uniform(*self.size_range, (num, self.num_regions, 2)) * size),
            1)
        start = np.floor(np.random.uniform(0, 1, extent.shape) * (size - extent + 1))
        return np.concatenate([start, start + extent], axis=-1).astype(np.float32)

    def transform(self, results: Dict) -> Optional[dict]:
        for key in ('transformed_keypoints', 'keypoints_visible', 'input_size'):
            if results.get(key) is None:
                raise KeyError(f'GenerateRegionPresenceLabels needs `{key}`: put it after '
                               'TopdownAffine (and after any erasing) in a pipeline that '
                               'loads keypoints')
        heatmap_size = self.heatmap_size
        if heatmap_size is None:
            if results.get('heatmaps') is None:
                raise KeyError('GenerateRegionPresenceLabels needs `heatmaps` (put it after '
                               'GenerateTarget) or its heatmap_size argument')
            heatmap_size = tuple(np.asarray(results['heatmaps']).shape[-1:-3:-1])
        present = GeneratePresenceLabels().transform(dict(
            keypoints_visible=results['keypoints_visible'],
            transformed_keypoints=results['transformed_keypoints'],
            input_size=results['input_size']))['keypoint_presence'] > 0  # (N, K)
        cells = keypoint_cells(results['transformed_keypoints'], results['input_size'],
                               heatmap_size)  # (N, K, 2)
        boxes = self.random_boxes(len(cells), heatmap_size)  # (N, R, 4)
        x, y = cells[:, None, :, 0], cells[:, None, :, 1]  # (N, 1, K)
        inside = ((x >= boxes[..., 0:1]) & (x < boxes[..., 2:3]) &
                  (y >= boxes[..., 1:2]) & (y < boxes[..., 3:4]))  # (N, R, K)
        results['region_boxes'] = boxes
        results['region_presence'] = (inside & present[:, None, :]).astype(np.float32)
        _extend_label_mapping_table(results, 'region_boxes')
        _extend_label_mapping_table(results, 'region_presence')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(heatmap_size={self.heatmap_size}, '
                f'num_regions={self.num_regions}, size_range={self.size_range})')
