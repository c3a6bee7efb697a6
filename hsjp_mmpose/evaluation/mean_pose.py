# Copyright (c) hsjp-mmpose contributors.
"""The mean-pose baselines: predict the mean training pose for everyone (3D: root-relative
joints in mm; 2D: the mean pose in crop units placed in each person's box).

A 3D model that does not beat it has learnt nothing about the person in the image. The
scores are MMPose's own (``keypoint_mpjpe``, as the ``MPJPE`` metric computes them), on
root-relative joints in mm, so they sit in the same table as a model's::

    from hsjp_mmpose.evaluation.mean_pose import mean_pose_baseline_of_config
    mean_pose_baseline_of_config('configs/pose3d/td-3d_res18-half_scratch_...py',
                                 ['train_dataloader.dataset.indices=200', ...])
    # {'MPJPE': ..., 'P-MPJPE': ..., 'num_train': 200, 'num_val': 300, ...}
"""
import argparse
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmpose.evaluation.functional import keypoint_mpjpe

__all__ = ['mean_pose', 'mean_pose_baseline', 'root_relative_joints',
           'mean_pose_baseline_of_config', 'boxed_poses_2d', 'mean_pose_2d_baseline',
           'mean_pose_2d_baseline_of_config']


def mean_pose(joints: np.ndarray, visible: Optional[np.ndarray] = None) -> np.ndarray:
    """The mean of root-relative poses, per joint over the people that have it.

    Args:
        joints (np.ndarray): root-relative joints, shape (N, K, 3)
        visible (np.ndarray, optional): availability, shape (N, K); all by default

    Returns:
        np.ndarray: shape (K, 3); 0 for a joint nobody has
    """
    joints = np.asarray(joints, dtype=np.float64)
    weights = (np.ones(joints.shape[:2]) if visible is None
               else (np.asarray(visible).reshape(joints.shape[:2]) > 0).astype(np.float64))
    count = weights.sum(axis=0)[:, None]
    return (joints * weights[..., None]).sum(axis=0) / np.maximum(count, 1)


def mean_pose_baseline(train_joints: np.ndarray, val_joints: np.ndarray,
                       train_visible: Optional[np.ndarray] = None,
                       val_visible: Optional[np.ndarray] = None) -> Dict[str, float]:
    """MPJPE and P-MPJPE of predicting the mean training pose for every validation person.

    Args:
        train_joints (np.ndarray): root-relative training joints (mm), shape (N, K, 3)
        val_joints (np.ndarray): root-relative validation joints (mm), shape (M, K, 3)
        train_visible, val_visible (np.ndarray, optional): availability, (N, K) / (M, K)

    Returns:
        dict: ``MPJPE`` and ``P-MPJPE`` (mm, MMPose's ``keypoint_mpjpe`` with alignment
        ``'none'`` and ``'procrustes'``), ``num_train``, ``num_val``
    """
    val_joints = np.asarray(val_joints, dtype=np.float64)
    if len(train_joints) == 0 or len(val_joints) == 0:
        raise ValueError(f'mean_pose_baseline needs people in both sets, got '
                         f'{len(train_joints)} training and {len(val_joints)} validation')
    pred = np.broadcast_to(mean_pose(train_joints, train_visible), val_joints.shape).copy()
    mask = (np.ones(val_joints.shape[:2], dtype=bool) if val_visible is None
            else np.asarray(val_visible).reshape(val_joints.shape[:2]) > 0)
    return {'MPJPE': float(keypoint_mpjpe(pred, val_joints, mask, 'none')),
            'P-MPJPE': float(keypoint_mpjpe(pred, val_joints, mask, 'procrustes')),
            'num_train': int(len(train_joints)), 'num_val': int(len(val_joints))}


def root_relative_joints(dataset, root_index: Union[int, Sequence[int]]
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """The root-relative 3D joints (mm) of every sample of a built data set (e.g.
    ``Keypoint3DCocoDataset``, ``Human36mImageDataset``), as ``GetRootRelativeKeypoints3D``
    makes them without augmentation.

    Returns:
        tuple: joints (N, K, 3) and availability (N, K), 0 where the root is missing
    """
    from hsjp_mmpose.codecs.location_map_3d import check_root_index
    roots = check_root_index(root_index)
    joints, visible = [], []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if 'keypoints_3d' not in info:
            raise KeyError(f'{type(dataset).__name__} sample {i} has no keypoints_3d: use a '
                           'data set with 3D joints (Keypoint3DCocoDataset, '
                           'Human36mImageDataset)')
        j = np.asarray(info['keypoints_3d'], dtype=np.float64).reshape(-1, 3)
        v = np.asarray(info.get('keypoints_3d_visible', np.ones(len(j))),
                       dtype=np.float64).reshape(-1)
        v = v * (v[roots].min() > 0)
        joints.append(j - j[roots].mean(axis=0))
        visible.append(v)
    return np.stack(joints), np.stack(visible)


def _root_index_of(cfg) -> Union[int, Sequence[int]]:
    for loader in ('val_dataloader', 'train_dataloader'):
        for step in cfg[loader].dataset.get('pipeline', []):
            if step.get('type') == 'GetRootRelativeKeypoints3D':
                return step.get('root_index', (11, 12))
    raise KeyError(f'{cfg.filename}: no GetRootRelativeKeypoints3D step in the val or train '
                   'pipeline, so the root of the 3D joints is unknown')


def mean_pose_baseline_of_config(config: Union[str, Path], options: Sequence[str] = ()
                                 ) -> Dict[str, float]:
    """The mean-pose baseline of a 3D config: the mean pose of its training set (after the
    ``options``, e.g. ``train_dataloader.dataset.indices=200``: the first 200 people)
    scored on its validation set, with the root of its ``GetRootRelativeKeypoints3D``.

    Args:
        config: a 3D pose config (``configs/pose3d/``)
        options: ``key=value`` overrides, as given to ``mim train --cfg-options``

    Returns:
        dict: as :func:`mean_pose_baseline`
    """
    from mmengine.config import Config, DictAction
    from mmpose.registry import DATASETS
    from mmpose.utils import register_all_modules
    import hsjp_mmpose  # noqa: F401  (registers the data sets)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(config))
    if options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--cfg-options', *options]).cfg_options)
    root_index = _root_index_of(cfg)
    sets = []
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset_cfg = cfg[loader].dataset.copy()
        dataset_cfg['pipeline'] = []  # the joints only
        sets.append(root_relative_joints(DATASETS.build(dataset_cfg), root_index))
    (train, train_visible), (val, val_visible) = sets
    return mean_pose_baseline(train, val, train_visible, val_visible)


# --------------------------------------------------------------------------- 2D
def _pipeline_step(cfg, loader: str, transform: str) -> dict:
    for step in cfg[loader].dataset.get('pipeline', []):
        if step.get('type') == transform:
            return step
    raise KeyError(f'{cfg.filename}: no {transform} step in {loader}.dataset.pipeline')


def boxed_poses_2d(dataset, input_size: Tuple[int, int], padding: float = 1.25
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every person of a built top-down data set in its crop's frame, as the val
    pipeline crops it (``GetBBoxCenterScale`` with ``padding``, then ``TopdownAffine``'s
    aspect ratio of ``input_size`` (w, h)).

    Returns:
        tuple: keypoints in crop units ((x - centre) / scale, (N, K, 2)), visibility (N, K),
        crop centres (N, 2) and scales (N, 2)
    """
    from mmpose.datasets.transforms import TopdownAffine
    from mmpose.structures.bbox import bbox_xyxy2cs
    poses, visible, centres, scales = [], [], [], []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        centre, scale = bbox_xyxy2cs(np.asarray(info['bbox'], np.float32), padding=padding)
        scale = TopdownAffine._fix_aspect_ratio(scale, input_size[0] / input_size[1])
        keypoints = np.asarray(info['keypoints'], np.float64)[0, :, :2]
        v = np.asarray(info['keypoints_visible'], np.float64).reshape(-1)
        poses.append((keypoints - centre[0]) / scale[0])
        visible.append(v)
        centres.append(centre[0])
        scales.append(scale[0])
    return np.stack(poses), np.stack(visible), np.stack(centres), np.stack(scales)


def mean_pose_2d_baseline(train, evaluation, metainfo: dict, input_size: Tuple[int, int],
                          padding: float = 1.25) -> Dict[str, float]:
    """PCK@0.2 of the torso and of the box of predicting, for every person of the
    ``evaluation`` data set, the mean pose of the ``train`` data set placed in the person's
    crop (the mean of each joint in crop units over the people who have it labelled):
    what no learning gives. Scored by
    :class:`~hsjp_mmpose.evaluation.TorsoPCKAccuracy` on ``metainfo``'s joints.

    Returns:
        dict: ``tPCK``, ``PCK``, ``tPCK/<joint>``, ``tPCK/people``, ``num_train``, ``num_eval``
    """
    from hsjp_mmpose.evaluation.torso_pck import TorsoPCKAccuracy
    # before boxed_poses_2d, whose np.stack of no people fails with NumPy's message
    for what, dataset in (('training people', train), ('people to evaluate', evaluation)):
        if not len(dataset):
            raise ValueError(f'mean_pose_2d_baseline needs {what}, got none')
    train_poses, train_visible, _, _ = boxed_poses_2d(train, input_size, padding)
    weights = (train_visible > 0).astype(np.float64)
    mean = (train_poses * weights[..., None]).sum(0) / np.maximum(weights.sum(0), 1)[:, None]
    metric = TorsoPCKAccuracy(thr=0.2)
    metric.dataset_meta = metainfo
    for i in range(len(evaluation)):
        info = evaluation.get_data_info(i)
        _, _, centre, scale = boxed_poses_2d(_One(info), input_size, padding)
        pred = centre[0] + mean * scale[0]
        bbox = np.asarray(info['bbox'], np.float64).reshape(1, 4)
        metric.process([], [dict(
            gt_instances=dict(keypoints=np.asarray(info['keypoints'])[:, :, :2],
                              keypoints_visible=np.asarray(info['keypoints_visible']),
                              bboxes=bbox),
            pred_instances=dict(keypoints=pred[None]))])
    out = metric.compute_metrics(metric.results)
    out.update(num_train=int(len(train_poses)), num_eval=int(len(evaluation)))
    return out


class _One:
    """One data info as a one-sample data set (``get_data_info`` and ``len``)."""

    def __init__(self, info: dict) -> None:
        self.info = info

    def __len__(self) -> int:
        return 1

    def get_data_info(self, index: int) -> dict:
        return self.info


def mean_pose_2d_baseline_of_config(config: Union[str, Path], options: Sequence[str] = (),
                                    split: str = 'test') -> Dict[str, float]:
    """The 2D mean-pose baseline of a top-down config: the mean pose of its training set
    (after the ``options``, e.g. ``train_dataloader.dataset.indices=200``) placed in every
    box of its ``split`` (``'val'`` or ``'test'``) data set, cropped as its val pipeline
    crops (:func:`mean_pose_2d_baseline`)."""
    from mmengine.config import Config, DictAction
    from mmpose.registry import DATASETS
    from mmpose.utils import register_all_modules
    import hsjp_mmpose  # noqa: F401  (registers the data sets)
    register_all_modules(init_default_scope=False)
    if split not in ('val', 'test'):
        raise ValueError(f"split must be 'val' or 'test', got {split!r}")
    cfg = Config.fromfile(str(config))
    if options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--cfg-options', *options]).cfg_options)
    input_size = tuple(_pipeline_step(cfg, 'val_dataloader', 'TopdownAffine')['input_size'])
    try:
        padding = _pipeline_step(cfg, 'val_dataloader', 'GetBBoxCenterScale').get('padding',
                                                                                  1.25)
    except KeyError:
        padding = 1.25
    sets = []
    for loader in ('train_dataloader', f'{split}_dataloader'):
        dataset_cfg = cfg[loader].dataset.copy()
        dataset_cfg['pipeline'] = []
        sets.append(DATASETS.build(dataset_cfg))
    return mean_pose_2d_baseline(sets[0], sets[1], sets[1].metainfo, input_size, padding)
