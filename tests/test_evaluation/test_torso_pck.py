# Copyright (c) hsjp-mmpose contributors.
"""TorsoPCKAccuracy: PCK@0.2 of the torso with the torso joints taken by name."""
from pathlib import Path

import numpy as np
import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.evaluation.functional import keypoint_pck_accuracy
from mmpose.registry import METRICS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.datasets.layouts import layout_metainfo, layout_metainfo_file

# LSP: right hip 2, left hip 3, right shoulder 8, left shoulder 9
R_HIP, L_HIP, R_SHOULDER, L_SHOULDER = 2, 3, 8, 9


def _lsp_truth():
    """14 joints; both torso diagonals 50 px (right shoulder (100, 100) to left hip
    (130, 140); left shoulder (130, 100) to right hip (100, 140))."""
    gt = np.stack([np.linspace(80, 150, 14), np.linspace(60, 220, 14)], axis=1)
    gt[R_SHOULDER], gt[L_HIP] = (100, 100), (130, 140)
    gt[L_SHOULDER], gt[R_HIP] = (130, 100), (100, 140)
    return gt


def _sample(gt, pred, visible=None, box=(60., 40., 180., 240.)):
    visible = np.ones(len(gt)) if visible is None else np.asarray(visible, float)
    return dict(gt_instances=dict(keypoints=np.asarray(gt, float)[None],
                                  keypoints_visible=visible[None],
                                  bboxes=np.asarray(box, float)[None]),
                pred_instances=dict(keypoints=np.asarray(pred, float)[None]))


def _metric(meta=None, **kwargs):
    metric = METRICS.build(dict(type='TorsoPCKAccuracy', **kwargs))
    metric.dataset_meta = layout_metainfo('lsp') if meta is None else meta
    return metric


def _evaluate(metric, samples):
    metric.process([], samples)
    return metric.evaluate(len(samples))


def _shifted(gt, shifts):
    pred = np.array(gt, float)
    pred[:, 0] += shifts
    return pred


def test_within_and_beyond_a_fifth_of_the_torso():
    gt = _lsp_truth()
    # 0.2 x 50 px = 10 px: joints 0-6 off by 9.9 px (correct), 7-13 by 10.1 px (wrong)
    pred = _shifted(gt, [9.9] * 7 + [10.1] * 7)
    metrics = _evaluate(_metric(), [_sample(gt, pred)])
    assert metrics['tPCK'] == pytest.approx(0.5)
    assert metrics['tPCK/people'] == 1
    names = layout_metainfo('lsp')['keypoint_id2name']
    for k in range(14):
        assert metrics[f'tPCK/{names[k]}'] == (1. if k < 7 else 0.)
    # the box (120 x 200 px): 0.2 x 200 = 40 px, every joint within
    assert metrics['PCK'] == pytest.approx(1.)


def test_per_joint_off_and_bbox_only_when_asked():
    gt = _lsp_truth()
    metrics = _evaluate(_metric(per_joint=False, norm_item='torso'), [_sample(gt, gt)])
    assert metrics == {'tPCK': 1., 'tPCK/people': 1}


def test_falls_back_to_the_other_shoulder_hip_pair():
    gt = _lsp_truth()
    gt[L_SHOULDER], gt[R_HIP] = (130, 60), (130, 160)  # the other diagonal: 100 px
    pred = _shifted(gt, 15.)  # within 0.2 x 100 px, not within 0.2 x 50 px
    visible = np.ones(14)
    assert _evaluate(_metric(), [_sample(gt, pred, visible)])['tPCK'] == 0.
    visible[R_SHOULDER] = 0  # the first pair unlabelled: the second measures the torso
    metrics = _evaluate(_metric(), [_sample(gt, pred, visible)])
    assert metrics['tPCK'] == 1. and metrics['tPCK/people'] == 1
    assert 'tPCK/right_shoulder' not in metrics  # unlabelled in every scored person
    # a first pair under 1 px apart also falls back
    gt[R_SHOULDER] = gt[L_HIP] + 0.5
    pred = _shifted(gt, 15.)
    assert _evaluate(_metric(), [_sample(gt, pred)])['tPCK'] == 1.


def test_a_person_without_a_torso_is_left_out():
    gt = _lsp_truth()
    right = _sample(gt, gt)
    wrong = _shifted(gt, 30.)
    headless = np.ones(14)
    headless[[R_SHOULDER, R_HIP]] = 0  # neither pair complete
    no_torso = _sample(gt, wrong, headless)
    metrics = _evaluate(_metric(), [right, no_torso])
    assert metrics['tPCK'] == 1. and metrics['tPCK/people'] == 1
    # 'PCK' of the box scores both people: 30 px < 0.2 x 200 px
    assert metrics['PCK'] == 1.
    metrics = _evaluate(_metric(), [no_torso])
    assert metrics['tPCK'] == 0. and metrics['tPCK/people'] == 0


def test_same_computation_as_mmpose_keypoint_pck_accuracy():
    rng = np.random.default_rng(0)
    samples, torsos = [], []
    for i in range(6):
        gt = _lsp_truth() * rng.uniform(0.5, 2.) + rng.uniform(0, 50, 2)
        pred = gt + rng.normal(0, 6, gt.shape)
        visible = (rng.uniform(size=14) > 0.2).astype(float)
        visible[[R_SHOULDER, L_HIP]] = 1
        visible[0] = i % 2  # right ankle labelled in every other person
        samples.append(_sample(gt, pred, visible))
        torsos.append(np.linalg.norm(gt[R_SHOULDER] - gt[L_HIP]))
    metrics = _evaluate(_metric(), samples)
    pred = np.concatenate([s['pred_instances']['keypoints'] for s in samples])
    gt = np.concatenate([s['gt_instances']['keypoints'] for s in samples])
    mask = np.concatenate([s['gt_instances']['keypoints_visible'] for s in samples]) > 0
    per_joint, overall, _ = keypoint_pck_accuracy(
        pred, gt, mask, 0.2, np.repeat(np.array(torsos)[:, None], 2, axis=1))
    assert metrics['tPCK'] == pytest.approx(overall)
    names = layout_metainfo('lsp')['keypoint_id2name']
    for k in range(14):
        assert metrics[f'tPCK/{names[k]}'] == pytest.approx(per_joint[k])
    # 'PCK' is MMPose's PCKAccuracy of the box
    stock = METRICS.build(dict(type='PCKAccuracy', thr=0.2, norm_item='bbox'))
    stock.dataset_meta = layout_metainfo('lsp')
    assert metrics['PCK'] == pytest.approx(_evaluate(stock, samples)['PCK'])


def test_same_as_mmpose_torso_pck_on_its_own_joints():
    """MMPose's PCKAccuracy(norm_item='torso') measures the torso between keypoints 4
    and 5; with that pair TorsoPCKAccuracy gives the same number."""
    rng = np.random.default_rng(1)
    samples = []
    for _ in range(5):
        gt = _lsp_truth() + rng.uniform(-10, 10, (14, 2))
        samples.append(_sample(gt, gt + rng.normal(0, 4, gt.shape),
                               (rng.uniform(size=14) > 0.1).astype(float)))
        samples[-1]['gt_instances']['keypoints_visible'][0, [4, 5]] = 1
    ours = _metric(norm_item='torso', torso_pairs=[('left_knee', 'left_ankle')])
    stock = METRICS.build(dict(type='PCKAccuracy', thr=0.2, norm_item='torso'))
    stock.dataset_meta = layout_metainfo('lsp')
    assert _evaluate(ours, samples)['tPCK'] == pytest.approx(
        _evaluate(stock, samples)['tPCK'])


def test_coco_layout_by_name():
    meta = layout_metainfo('coco')
    ids = meta['keypoint_name2id']
    gt = np.stack([np.linspace(50, 120, 17), np.linspace(20, 200, 17)], axis=1)
    gt[ids['right_shoulder']], gt[ids['left_hip']] = (60, 50), (90, 90)  # 50 px
    pred = _shifted(gt, [9.] * 9 + [11.] * 8)
    visible = np.ones((17, 1))  # (K, 1) visibility is read too
    metrics = _evaluate(_metric(meta), [_sample(gt, pred, visible)])
    assert metrics['tPCK'] == pytest.approx(9 / 17)
    assert metrics['tPCK/nose'] == 1. and metrics['tPCK/right_ankle'] == 0.


def test_layout_without_torso_joints():
    # MMPose's hand layout, beside its COCO file
    hand_file = Path(layout_metainfo_file('coco')).with_name('onehand10k.py')
    hand = parse_pose_metainfo(dict(from_file=str(hand_file)))
    metric = _metric(hand)
    gt = np.zeros((21, 2))
    with pytest.raises(KeyError, match='onehand10k'):
        metric.process([], [_sample(gt, gt)])
    metric = METRICS.build(dict(type='TorsoPCKAccuracy'))
    with pytest.raises(KeyError, match='needs the dataset metainfo'):
        metric.process([], [_sample(gt, gt)])


def test_bad_arguments():
    with pytest.raises(ValueError, match="must include 'torso'"):
        METRICS.build(dict(type='TorsoPCKAccuracy', norm_item='bbox'))
    with pytest.raises(ValueError, match='torso_pairs'):
        METRICS.build(dict(type='TorsoPCKAccuracy', torso_pairs=[('right_shoulder',)]))
