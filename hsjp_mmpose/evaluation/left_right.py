# Copyright (c) hsjp-mmpose contributors.
"""Does a pose model tell left from right, and how many separate places do its keypoint
maps peak at.

Two metrics on top-down predictions, both measured in the model's heatmap pixels (input
pixels over ``stride``), so that they read the same at every input size:

- :class:`LeftRightAccuracy`: per left/right pair, the share of people whose predicted
  left keypoint lies nearer the true left than the true right (chance 0.5 when the two
  maps coincide).
- :class:`PeakPlaces`: the number of distinct heatmap cells the K predicted keypoints (the
  peaks of the K maps) occupy per person, beside the same count for the true keypoints.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS


def to_input_space(keypoints: np.ndarray, data_sample: dict) -> np.ndarray:
    """Keypoints (..., 2) from image to model-input pixels with the sample's
    ``input_center``, ``input_scale`` and ``input_size`` (the inverse of
    ``TopdownPoseEstimator.add_pred_to_datasample``)."""
    for key in ('input_center', 'input_scale', 'input_size'):
        if key not in data_sample:
            raise KeyError(f'the data sample has no {key!r}: evaluate a top-down model '
                           '(TopdownAffine writes it)')
    center = np.asarray(data_sample['input_center'], dtype=np.float64).reshape(-1)[:2]
    scale = np.asarray(data_sample['input_scale'], dtype=np.float64).reshape(-1)[:2]
    size = np.asarray(data_sample['input_size'], dtype=np.float64)
    return (np.asarray(keypoints, dtype=np.float64)[..., :2] - center + 0.5 * scale) / \
        scale * size


def _first_instance(data_sample: dict) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted (K, 2), true (K, 2) keypoints in image pixels and visibility (K, ) of a
    top-down sample's one instance."""
    pred = np.asarray(data_sample['pred_instances']['keypoints'])[0, :, :2]
    gt = data_sample['gt_instances']
    visible = np.asarray(gt['keypoints_visible'])
    if visible.ndim == 3:
        visible = visible[..., 0]
    return pred, np.asarray(gt['keypoints'])[0, :, :2], visible.reshape(-1) > 0


def left_right_pairs(dataset_meta: dict) -> List[Tuple[str, int, int]]:
    """``(name, left index, right index)`` of every left/right pair of ``flip_indices``;
    the name drops ``left_`` (``'left_wrist'`` -> ``'wrist'``)."""
    if not dataset_meta or 'flip_indices' not in dataset_meta:
        raise KeyError('the metric needs dataset_meta with flip_indices (the evaluator '
                       'passes the dataset metainfo; set it by hand outside a runner)')
    names = dataset_meta['keypoint_id2name']
    pairs = []
    for k, j in enumerate(dataset_meta['flip_indices']):
        if k < j:
            left, right = (k, j) if 'right' in names[j] else (j, k)
            pairs.append((names[left].replace('left_', ''), left, right))
    return pairs


@METRICS.register_module()
class LeftRightAccuracy(BaseMetric):
    """Per left/right keypoint pair: the share of people whose predicted *left* keypoint
    lies nearer the true left keypoint than the true right one.

    A person counts for a pair when both keypoints are visible and lie at least
    ``min_separation`` heatmap pixels apart. A model whose two maps peak at the same
    place scores about 0.5; one that swaps sides scores near 0. Pairs come from the
    dataset's ``flip_indices`` (names without ``left_``). Metrics:
    ``left_right/<pair>`` (e.g. ``left_right/wrist``) and ``left_right/min_limbs``, the
    lowest over the pairs named in ``limbs``; a pair with no eligible person is left out.

    Args:
        min_separation (float): Least distance of the true pair in heatmap pixels.
            Defaults to 4.
        stride (float): Input pixels per heatmap pixel. Defaults to 4.
        limbs (Sequence[str]): Pairs of ``min_limbs``. Defaults to shoulders, elbows,
            wrists, hips, knees and ankles.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'left_right'``.
    """

    default_prefix: Optional[str] = 'left_right'

    def __init__(self, min_separation: float = 4., stride: float = 4.,
                 limbs: Sequence[str] = ('shoulder', 'elbow', 'wrist', 'hip', 'knee',
                                         'ankle'),
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if min_separation < 0 or stride <= 0:
            raise ValueError(f'LeftRightAccuracy: min_separation must be >= 0 and stride '
                             f'> 0, got {min_separation} and {stride}')
        self.min_separation = float(min_separation)
        self.stride = float(stride)
        self.limbs = tuple(limbs)

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            pred, gt, visible = _first_instance(data_sample)
            self.results.append(dict(
                pred=to_input_space(pred, data_sample) / self.stride,
                gt=to_input_space(gt, data_sample) / self.stride, visible=visible))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        metrics, counts = {}, {}
        for name, left, right in left_right_pairs(self.dataset_meta):
            correct = []
            for r in results:
                gl, gr, pl = r['gt'][left], r['gt'][right], r['pred'][left]
                if not (r['visible'][left] and r['visible'][right]) or \
                        np.linalg.norm(gl - gr) < self.min_separation:
                    continue
                correct.append(np.linalg.norm(pl - gl) < np.linalg.norm(pl - gr))
            if correct:
                metrics[name] = float(np.mean(correct))
                counts[name] = len(correct)
        limbs = [metrics[n] for n in self.limbs if n in metrics]
        if limbs:
            metrics['min_limbs'] = float(min(limbs))
        MMLogger.get_current_instance().info(
            'Left/right accuracy (people counted): ' + ', '.join(
                f'{n} {metrics[n]:.3f} ({counts[n]})' for n in counts))
        return metrics


def count_places(points: np.ndarray) -> int:
    """Distinct heatmap cells among ``points`` (N, 2) in heatmap pixels: the cell of a
    point is ``floor(point + 0.5)``, the one ``MSRAHeatmap`` decodes it from (its
    sub-pixel refinement moves a peak by at most a quarter cell)."""
    return len({tuple(c) for c in np.floor(np.asarray(points) + 0.5).astype(np.int64)})


@METRICS.register_module()
class PeakPlaces(BaseMetric):
    """Distinct places the predicted keypoints of a person occupy, on average.

    The predicted keypoints are the peaks of the K keypoint maps; two share a place when
    they fall in the same heatmap cell (:func:`count_places`: the argmax cell of each
    map, as the codec decodes it). Counted over the keypoints visible in the ground
    truth, for the predictions (``peaks/places``) and for the true keypoints
    (``peaks/places_gt``: what a perfect model reaches; neighbours such as the eyes can
    share a cell).

    Args:
        stride (float): Input pixels per heatmap pixel. Defaults to 4.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'peaks'``.
    """

    default_prefix: Optional[str] = 'peaks'

    def __init__(self, stride: float = 4., collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if stride <= 0:
            raise ValueError(f'PeakPlaces: stride must be > 0, got {stride}')
        self.stride = float(stride)

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            pred, gt, visible = _first_instance(data_sample)
            pred = to_input_space(pred, data_sample)[visible] / self.stride
            gt = to_input_space(gt, data_sample)[visible] / self.stride
            self.results.append(dict(places=count_places(pred),
                                     places_gt=count_places(gt)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            return dict(places=0., places_gt=0.)
        metrics = {key: float(np.mean([r[key] for r in results]))
                   for key in ('places', 'places_gt')}
        MMLogger.get_current_instance().info(
            f'Distinct keypoint places (heatmap cells) per person: '
            f'{metrics["places"]:.2f} predicted, {metrics["places_gt"]:.2f} true')
        return metrics
