# Copyright (c) hsjp-mmpose contributors.
"""How well a pretrained network solves the jigsaw puzzles of the validation set."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from hsjp_mmpose.jigsaw import check_grid, permutation_from_keypoints


@METRICS.register_module()
class JigsawAccuracy(BaseMetric):
    """Patch accuracy (share of patches placed in the right cell) and puzzle accuracy
    (share of puzzles with every patch right) of heatmap-style jigsaw puzzles.

    The predicted placement of patch ``k`` is the cell that holds predicted keypoint ``k``
    (``pred_instances.keypoints``, mapped back from image to model-input coordinates with
    the sample's ``input_center``, ``input_scale`` and ``input_size``), by
    :func:`~hsjp_mmpose.jigsaw.geometry.cell_index`: the cell ownership that
    ``HeatmapJigsaw`` scores and decodes with, so an argmax-decoded heatmap pixel counts
    for the cell the codec gives it, whatever the heatmap size; the truth is the
    ``jigsaw_permutation`` in the data sample's metainfo, so the pipeline's
    ``PackPoseInputs`` must list it in ``meta_keys``. Use
    ``HeatmapJigsaw(decode_mode='assignment')`` for predictions that are permutations.

    Args:
        grid (tuple, optional): ``(rows, cols)``, for samples packed without
            ``jigsaw_grid``. Defaults to None: read each sample's metainfo key
            ``jigsaw_grid`` (written by ``RandomJigsaw``; pack it too), so a config states
            the grid once, on the transform. When both are there they must agree.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str): prefix of the metric names. Defaults to ``'jigsaw'``.
    """

    default_prefix: Optional[str] = 'jigsaw'

    def __init__(self,
                 grid: Optional[Sequence[int]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'jigsaw') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.grid = check_grid(grid) if grid is not None else None

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        """Store the predicted and true placement of every patch of the batch."""
        for data_sample in data_samples:
            if 'jigsaw_permutation' not in data_sample:
                raise KeyError(
                    'JigsawAccuracy needs "jigsaw_permutation" in the data samples: add it to '
                    'PackPoseInputs(meta_keys=(...)) in the validation pipeline')
            truth = np.asarray(data_sample['jigsaw_permutation'], dtype=np.int64).reshape(-1)
            grid = self._grid(data_sample)
            keypoints = np.asarray(data_sample['pred_instances']['keypoints'])[0, :, :2]
            center = np.asarray(data_sample['input_center'], dtype=np.float64)
            scale = np.asarray(data_sample['input_scale'], dtype=np.float64)
            input_size = np.asarray(data_sample['input_size'], dtype=np.float64)
            # Inverse of TopdownPoseEstimator.add_pred_to_datasample.
            keypoints = (keypoints - center + 0.5 * scale) / scale * input_size
            pred = permutation_from_keypoints(keypoints, tuple(grid), tuple(input_size))
            if pred.shape != truth.shape:
                raise ValueError(f'{pred.shape[0]} predicted patches but a permutation of '
                                 f'{truth.shape[0]} cells')
            self.results.append(dict(correct=pred == truth))

    def _grid(self, data_sample: dict) -> tuple:
        """The sample's ``jigsaw_grid`` (from ``RandomJigsaw``), or the ``grid`` argument;
        both, when given, must agree."""
        packed = data_sample.get('jigsaw_grid')
        packed = check_grid(tuple(packed)) if packed is not None else None
        if self.grid is not None and packed is not None and packed != self.grid:
            raise ValueError(f'JigsawAccuracy(grid={self.grid}) disagrees with the '
                             f'jigsaw_grid {packed} that RandomJigsaw packed into the sample; '
                             'drop the metric\'s grid (it reads the sample\'s)')
        grid = self.grid or packed
        if grid is None:
            raise ValueError('JigsawAccuracy cannot tell the grid: add "jigsaw_grid" to '
                             'PackPoseInputs(meta_keys=...) (RandomJigsaw writes it) or pass '
                             'grid=(rows, cols)')
        return grid

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """``patch_accuracy`` and ``puzzle_accuracy`` over all processed samples."""
        logger = MMLogger.get_current_instance()
        if not results:
            logger.warning('JigsawAccuracy got no samples')
            return dict(patch_accuracy=0., puzzle_accuracy=0.)
        correct = [r['correct'] for r in results]
        metrics = dict(
            patch_accuracy=float(np.mean(np.concatenate(correct))),
            puzzle_accuracy=float(np.mean([c.all() for c in correct])))
        logger.info(f'Jigsaw accuracy on {len(results)} puzzles: '
                    f'patches {metrics["patch_accuracy"]:.4f}, '
                    f'puzzles {metrics["puzzle_accuracy"]:.4f}')
        return metrics
