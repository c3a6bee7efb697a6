# Copyright (c) hsjp-mmpose contributors.
"""PCK normalised by the torso, the metric LSP papers report, for any keypoint layout."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger
from mmpose.evaluation.functional import keypoint_pck_accuracy
from mmpose.evaluation.metrics import PCKAccuracy
from mmpose.registry import METRICS

#: A shoulder and the opposite hip, tried in this order (LSP's evaluation measures the
#: torso from the right shoulder to the left hip).
DEFAULT_TORSO_PAIRS = (('right_shoulder', 'left_hip'), ('left_shoulder', 'right_hip'))


@METRICS.register_module()
class TorsoPCKAccuracy(PCKAccuracy):
    """PCK@``thr`` normalised by the torso: a keypoint is correct when it lies within
    ``thr`` times the person's torso (a shoulder to the opposite hip, in the image) of
    the truth; overall and per joint.

    MMPose's ``PCKAccuracy(norm_item='torso')`` reads keypoints 4 and 5 (JHMDB's layout)
    and falls back on the *predicted* torso; this one takes the torso joints by name
    from the dataset's metainfo, so it works for LSP, COCO, CrowdPose, MPII alike, and
    leaves out a person whose torso is not labelled (neither pair of ``torso_pairs``
    has both joints labelled and at least 1 px apart).

    Metrics: ``tPCK`` (the mean over joints of each joint's accuracy, as MMPose's
    ``keypoint_pck_accuracy`` averages), ``tPCK/<joint name>`` per joint with
    ``per_joint``, ``tPCK/people`` (people scored), and ``PCK`` (normalised by the box)
    when ``'bbox'`` is in ``norm_item``.

    Args:
        thr (float): threshold as a fraction of the torso. Defaults to 0.2.
        norm_item (str | Sequence[str]): ``'torso'`` and optionally ``'bbox'``.
            Defaults to ``('bbox', 'torso')``.
        torso_pairs (Sequence[tuple]): ``(shoulder name, hip name)`` pairs, tried in
            order. Defaults to :data:`DEFAULT_TORSO_PAIRS`.
        per_joint (bool): also report each joint's accuracy. Defaults to True.
        collect_device, prefix: as for mmengine's ``BaseMetric``.
    """

    def __init__(self, thr: float = 0.2, norm_item=('bbox', 'torso'),
                 torso_pairs: Sequence[Tuple[str, str]] = DEFAULT_TORSO_PAIRS,
                 per_joint: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        norm_item = [norm_item] if isinstance(norm_item, str) else list(norm_item)
        if 'torso' not in norm_item:
            raise ValueError(f"TorsoPCKAccuracy: norm_item must include 'torso', got "
                             f'{norm_item}; use PCKAccuracy for the box or head alone')
        if not torso_pairs or any(len(pair) != 2 for pair in torso_pairs):
            raise ValueError(f'torso_pairs must be (shoulder, hip) name pairs, got '
                             f'{torso_pairs!r}')
        super().__init__(thr=thr, norm_item=norm_item, collect_device=collect_device,
                         prefix=prefix)
        self.torso_pairs = [tuple(pair) for pair in torso_pairs]
        self.per_joint = per_joint

    def _torso_indices(self) -> List[Tuple[int, int]]:
        if not self.dataset_meta or 'keypoint_name2id' not in self.dataset_meta:
            raise KeyError('TorsoPCKAccuracy needs the dataset metainfo (the evaluator '
                           'sets it from the dataset; set metric.dataset_meta outside a '
                           'runner)')
        ids = self.dataset_meta['keypoint_name2id']
        pairs = [(ids[a], ids[b]) for a, b in self.torso_pairs if a in ids and b in ids]
        if not pairs:
            raise KeyError(f'TorsoPCKAccuracy: the layout {self.dataset_meta.get("dataset_name")} '
                           f'has none of the torso pairs {self.torso_pairs}; its joints are '
                           f'{sorted(ids)}')
        return pairs

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        pairs = self._torso_indices()
        for data_sample in data_samples:
            gt = data_sample['gt_instances']
            gt_coords = np.asarray(gt['keypoints'])
            visible = np.asarray(gt['keypoints_visible'])
            if visible.ndim == 3:
                visible = visible[:, :, 0]
            mask = visible.astype(bool).reshape(1, -1)
            torso = 0.
            for a, b in pairs:
                if mask[0, a] and mask[0, b]:
                    torso = float(np.linalg.norm(gt_coords[0, a, :2] - gt_coords[0, b, :2]))
                    if torso >= 1:
                        break
            result = dict(pred_coords=np.asarray(data_sample['pred_instances']['keypoints']),
                          gt_coords=gt_coords, mask=mask, has_torso=torso >= 1,
                          torso_size=np.full((1, 2), max(torso, 1.)))
            if 'bbox' in self.norm_item:
                box = np.asarray(gt['bboxes'])[0]
                result['bbox_size'] = np.full((1, 2), np.max(box[2:] - box[:2]))
            self.results.append(result)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        pred = np.concatenate([r['pred_coords'] for r in results])
        gt = np.concatenate([r['gt_coords'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        metrics = {}
        if 'bbox' in self.norm_item:
            _, metrics['PCK'], _ = keypoint_pck_accuracy(
                pred, gt, mask, self.thr, np.concatenate([r['bbox_size'] for r in results]))
        scored = np.array([r['has_torso'] for r in results], dtype=bool)
        if not scored.any():
            logger.warning('TorsoPCKAccuracy: no person has a labelled torso; tPCK is 0')
            metrics.update({'tPCK': 0., 'tPCK/people': 0})
            return metrics
        norm = np.concatenate([r['torso_size'] for r in results])[scored]
        per_joint, overall, _ = keypoint_pck_accuracy(pred[scored], gt[scored], mask[scored],
                                                      self.thr, norm)
        metrics['tPCK'] = float(overall)
        metrics['tPCK/people'] = int(scored.sum())
        if self.per_joint:
            names = self.dataset_meta['keypoint_id2name']
            labelled = mask[scored].any(axis=0)
            for k, acc in enumerate(per_joint):
                if labelled[k]:
                    metrics[f'tPCK/{names[k]}'] = float(acc)
        return metrics
