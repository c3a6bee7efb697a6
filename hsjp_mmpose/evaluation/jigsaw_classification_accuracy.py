# Copyright (c) hsjp-mmpose contributors.
"""Top-k accuracy of classic jigsaw classification (which permutation of the set?)."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

LABEL_KEY = 'jigsaw_permutation_index'


@METRICS.register_module()
class JigsawClassificationAccuracy(BaseMetric):
    """Top-k accuracy of :class:`~hsjp_mmpose.models.heads.JigsawClassificationHead`.

    The truth is ``jigsaw_permutation_index`` in the data sample's metainfo (written by
    ``RandomJigsaw(permutations=N)``; list it in ``PackPoseInputs(meta_keys=...)``); the
    prediction is ``pred_instances.permutation_scores`` (1, N), or, for top-1 alone,
    ``pred_instances.permutation_index``. A sample counts for top-k when its true class is
    among the k highest scores (ties broken by the lower index, as ``argsort`` does).
    Metrics ``top1``, ``top5``, ... (a k larger than N is left out; top-1 is always there),
    under the prefix ``jigsaw-cls`` (``jigsaw-cls/top1``).

    Args:
        topk (int | Sequence[int]): Which k. Defaults to ``(1, 5)``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to ``'jigsaw-cls'``.
    """

    default_prefix: Optional[str] = 'jigsaw-cls'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'jigsaw-cls') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not topk or any(isinstance(k, bool) or not isinstance(k, int) or k < 1
                           for k in topk):
            raise ValueError(f'topk must be a positive int or a sequence of them, got {topk!r}')
        self.topk = tuple(sorted(set(topk) | {1}))

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        """Store, per sample, the rank of the true class among the predicted scores."""
        for data_sample in data_samples:
            if LABEL_KEY not in data_sample:
                raise KeyError(f'JigsawClassificationAccuracy needs {LABEL_KEY!r} in the data '
                               'samples: use RandomJigsaw(permutations=N) and add the key to '
                               'PackPoseInputs(meta_keys=(...)) in the validation pipeline')
            truth = int(np.asarray(data_sample[LABEL_KEY]).reshape(-1)[0])
            if truth < 0:
                raise ValueError(f'{LABEL_KEY} is {truth}: RandomJigsaw drew from all '
                                 "permutations (permutations='all'); classification needs a "
                                 'fixed set, RandomJigsaw(permutations=N)')
            pred = data_sample['pred_instances']
            if 'permutation_scores' in pred:
                scores = np.asarray(pred['permutation_scores'], dtype=np.float64).reshape(-1)
                if truth >= scores.size:
                    raise ValueError(f'{LABEL_KEY}={truth} but the model scores only '
                                     f'{scores.size} permutations')
                # rank = number of classes placed before the truth by a stable descending sort
                order = np.argsort(-scores, kind='stable')
                rank = int(np.nonzero(order == truth)[0][0])
                num_classes = scores.size
            elif 'permutation_index' in pred:
                predicted = int(np.asarray(pred['permutation_index']).reshape(-1)[0])
                rank, num_classes = (0 if predicted == truth else None), None
            else:
                raise KeyError('JigsawClassificationAccuracy needs pred_instances.'
                               'permutation_scores (or permutation_index), as '
                               'JigsawClassificationHead predicts them')
            self.results.append(dict(rank=rank, num_classes=num_classes))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """``top1`` and the other ``topk`` not larger than the number of classes."""
        logger = MMLogger.get_current_instance()
        if not results:
            logger.warning('JigsawClassificationAccuracy got no samples')
            return dict(top1=0.)
        known = [r['num_classes'] for r in results if r['num_classes'] is not None]
        num_classes = min(known) if len(known) == len(results) else 1
        metrics = {}
        for k in self.topk:
            if k > num_classes and k != 1:
                continue
            hits = [r['rank'] is not None and r['rank'] < k for r in results]
            metrics[f'top{k}'] = float(np.mean(hits))
        logger.info(f'Jigsaw classification on {len(results)} puzzles: ' + ', '.join(
            f'{name} {value:.4f}' for name, value in metrics.items()))
        return metrics
