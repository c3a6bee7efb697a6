# Copyright (c) hsjp-mmpose contributors.
"""The mean-pose baseline: hand-computed values, and the same numbers from a config."""
import numpy as np
import pytest

from hsjp_mmpose.evaluation.mean_pose import (mean_pose, mean_pose_baseline,
                                              mean_pose_baseline_of_config,
                                              root_relative_joints)
from tests.utils import REPO_ROOT

CONFIG = REPO_ROOT / 'configs/pose3d/td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py'


def test_mean_pose_per_joint_over_the_people_that_have_it():
    joints = np.array([[[0., 0., 0.], [10., 0., 0.]],
                       [[0., 0., 0.], [30., 0., 6.]],
                       [[0., 0., 0.], [99., 99., 99.]]])
    visible = np.array([[1, 1], [1, 1], [1, 0]])
    np.testing.assert_allclose(mean_pose(joints, visible), [[0, 0, 0], [20, 0, 3]])
    np.testing.assert_allclose(mean_pose(joints[:2]), [[0, 0, 0], [20, 0, 3]])


def test_baseline_by_hand():
    """Two joints; the mean training pose is (0,0,0), (100,0,0). Validation person 1 sits
    exactly on it (errors 0, 0); person 2 has joint 1 at (100, 0, 40) (errors 0, 40):
    MPJPE = (0 + 0 + 0 + 40) / 4 = 10 mm."""
    train = np.array([[[0., 0., 0.], [50., 0., 0.]], [[0., 0., 0.], [150., 0., 0.]]])
    val = np.array([[[0., 0., 0.], [100., 0., 0.]], [[0., 0., 0.], [100., 0., 40.]]])
    result = mean_pose_baseline(train, val)
    assert result['MPJPE'] == pytest.approx(10.)
    assert result['num_train'] == 2 and result['num_val'] == 2
    # P-MPJPE aligns each prediction (scale, rotation, translation): a two-joint pose
    # fits any other two-joint pose exactly
    assert result['P-MPJPE'] == pytest.approx(0., abs=1e-6)
    # an unavailable validation joint is not scored: only the three zero errors remain
    masked = mean_pose_baseline(train, val, val_visible=np.array([[1, 1], [1, 0]]))
    assert masked['MPJPE'] == pytest.approx(0.)
    with pytest.raises(ValueError, match='people in both sets'):
        mean_pose_baseline(train[:0], val)


class _Dataset:
    def __init__(self, infos):
        self.infos = infos

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, i):
        return self.infos[i]


def test_root_relative_joints_subtract_the_root_mean():
    joints = np.arange(9, dtype=np.float32).reshape(1, 3, 3)  # (0,1,2) (3,4,5) (6,7,8)
    infos = [dict(keypoints_3d=joints, keypoints_3d_visible=np.array([[1., 1., 1.]])),
             dict(keypoints_3d=joints, keypoints_3d_visible=np.array([[1., 0., 1.]]))]
    out, visible = root_relative_joints(_Dataset(infos), root_index=(1, 2))
    np.testing.assert_allclose(out[0], [[-4.5] * 3, [-1.5] * 3, [1.5] * 3])
    # the root (joints 1 and 2) is not all there: nothing of that person counts
    np.testing.assert_array_equal(visible, [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(KeyError, match='keypoints_3d'):
        root_relative_joints(_Dataset([dict(keypoints=joints)]), root_index=0)


def test_baseline_of_a_config_reads_its_data_sets(tmp_path):
    """The config's train set (first N people) and val set, generated here: the same
    numbers as computing the baseline from the annotation files by hand."""
    import json
    from hsjp_mmpose.experiments.options import coco_data_root_options
    from hsjp_mmpose.synthetic import generate_synthetic_coco
    generate_synthetic_coco(tmp_path, num_train=12, num_val=6, seed=3, level='easy')
    result = mean_pose_baseline_of_config(
        CONFIG, coco_data_root_options(tmp_path) + ['train_dataloader.dataset.indices=8'])

    def load(split, count=None):
        anns = json.loads((tmp_path / f'annotations/person_keypoints_{split}.json')
                          .read_text())['annotations']
        joints = np.array([a['keypoints_3d'] for a in anns if a['num_keypoints'] > 0],
                          dtype=np.float64).reshape(-1, 17, 3)[:count]
        return joints - joints[:, [11, 12]].mean(axis=1, keepdims=True)

    expected = mean_pose_baseline(load('train', 8), load('val'))
    assert result['num_train'] == 8 and result['num_val'] == expected['num_val']
    assert result['MPJPE'] == pytest.approx(expected['MPJPE'], rel=1e-5)
    assert result['P-MPJPE'] == pytest.approx(expected['P-MPJPE'], rel=1e-5)


# ------------------------------------------------------------------ 2D
# Five joints; TorsoPCKAccuracy measures the torso from the right shoulder to the left hip
NAMES = ('head', 'right_shoulder', 'left_shoulder', 'right_hip', 'left_hip')
METAINFO = dict(dataset_name='five', keypoint_name2id={n: i for i, n in enumerate(NAMES)},
                keypoint_id2name=dict(enumerate(NAMES)))
INPUT_SIZE = (96, 128)  # (w, h): crops of aspect 3:4
# The mean pose in crop units ((x - centre) / scale): with padding 1.25 a box of 60 x 80
# is a crop of 75 x 100 centred on the box, so in the box (0, 0, 60, 80) it is at the
# pixels (30, 8), (21, 20), (39, 20), (24, 56), (36, 56)
MEAN = np.array([[0., -0.32], [-0.12, -0.2], [0.12, -0.2], [-0.08, 0.16], [0.08, 0.16]])
MEAN_IN_BOX = np.array([[30., 8.], [21., 20.], [39., 20.], [24., 56.], [36., 56.]])
SHIFT = np.array([0.16, 0.])  # 12 pixels right in that box


def _info(box, keypoints, visible=(1, 1, 1, 1, 1)):
    """A data info as MMPose's top-down data sets give it."""
    return dict(bbox=np.array([box], np.float32),
                keypoints=np.array([keypoints], np.float32),
                keypoints_visible=np.array([visible], np.float32))


def _place(pose, box, padding=1.25):
    """A pose in crop units placed in an xyxy box of aspect 3:4 (no aspect fix needed)."""
    x0, y0, x1, y1 = box
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2]) + pose * np.array(
        [(x1 - x0) * padding, (y1 - y0) * padding])


def _train_set():
    """Three people whose mean pose is MEAN: one shifted 0.16 right, one 0.16 left (both in
    the box (0, 0, 60, 80)), and one on MEAN in a square box (100, 0, 130, 30): its crop is
    widened to 3:4, 37.5 x 50 around (115, 15); its head is unlabelled, at a wrong place
    that must not count."""
    square = np.array([[0., 0.], [110.5, 5.], [119.5, 5.], [112., 23.], [118., 23.]])
    return _Dataset([_info((0, 0, 60, 80), MEAN_IN_BOX + [12., 0.]),
                     _info((0, 0, 60, 80), MEAN_IN_BOX - [12., 0.]),
                     _info((100, 0, 130, 30), square, visible=(0, 1, 1, 1, 1))])


def test_boxed_poses_2d_by_hand():
    from hsjp_mmpose.evaluation.mean_pose import boxed_poses_2d
    poses, visible, centres, scales = boxed_poses_2d(_train_set(), INPUT_SIZE)
    np.testing.assert_allclose(poses[0], MEAN + SHIFT, atol=1e-6)
    np.testing.assert_allclose(poses[1], MEAN - SHIFT, atol=1e-6)
    np.testing.assert_allclose(poses[2, 1:], MEAN[1:], atol=1e-6)
    np.testing.assert_allclose(poses[2, 0], [(0 - 115) / 37.5, (0 - 15) / 50], atol=1e-6)
    np.testing.assert_array_equal(visible, [[1] * 5, [1] * 5, [0, 1, 1, 1, 1]])
    np.testing.assert_allclose(centres, [[30, 40], [30, 40], [115, 15]])
    np.testing.assert_allclose(scales, [[75, 100], [75, 100], [37.5, 50]])
    # another padding: the box itself is the crop
    _, _, _, scales = boxed_poses_2d(_train_set(), INPUT_SIZE, padding=1.)
    np.testing.assert_allclose(scales[0], [60, 80])


def test_mean_pose_2d_baseline_by_hand(monkeypatch):
    """Evaluated: MEAN in a translated smaller box and in a larger box (predicted exactly),
    the right-shifted training person (every joint 12 px off: beyond 0.2 of its torso, 39
    px, within 0.2 of its box, 80 px) and the left-shifted one with no torso labelled
    (only box PCK scores it). tPCK: 2 of 3 people right at every joint; PCK: all right."""
    from hsjp_mmpose.evaluation import torso_pck
    from hsjp_mmpose.evaluation.mean_pose import mean_pose_2d_baseline
    predictions = []
    process = torso_pck.TorsoPCKAccuracy.process

    def record(self, data_batch, data_samples):
        predictions.extend(s['pred_instances']['keypoints'][0] for s in data_samples)
        return process(self, data_batch, data_samples)

    monkeypatch.setattr(torso_pck.TorsoPCKAccuracy, 'process', record)
    small, large = (200, 100, 230, 140), (0, 0, 120, 160)
    evaluation = _Dataset([
        _info(small, _place(MEAN, small)), _info(large, _place(MEAN, large)),
        _info((0, 0, 60, 80), MEAN_IN_BOX + [12., 0.]),
        _info((0, 0, 60, 80), MEAN_IN_BOX - [12., 0.], visible=(1, 0, 0, 1, 1))])
    out = mean_pose_2d_baseline(_train_set(), evaluation, METAINFO, INPUT_SIZE)
    np.testing.assert_allclose(predictions[0], [[215, 104], [210.5, 110], [219.5, 110],
                                                [212, 128], [218, 128]], atol=1e-4)
    np.testing.assert_allclose(predictions[1], [[60, 16], [42, 40], [78, 40], [48, 112],
                                                [72, 112]], atol=1e-4)
    np.testing.assert_allclose(predictions[2], MEAN_IN_BOX, atol=1e-4)
    assert out['tPCK'] == pytest.approx(2 / 3) and out['PCK'] == pytest.approx(1.)
    assert out['tPCK/people'] == 3
    assert all(out[f'tPCK/{name}'] == pytest.approx(2 / 3) for name in NAMES)
    assert out['num_train'] == 3 and out['num_eval'] == 4
    # people equal to the mean alone: everything right
    perfect = mean_pose_2d_baseline(_train_set(), _Dataset(evaluation.infos[:2]), METAINFO,
                                    INPUT_SIZE)
    assert perfect['tPCK'] == 1. and perfect['PCK'] == 1. and perfect['tPCK/people'] == 2


def test_mean_pose_2d_baseline_needs_training_people():
    from hsjp_mmpose.evaluation.mean_pose import mean_pose_2d_baseline
    with pytest.raises(ValueError, match='needs training people'):
        mean_pose_2d_baseline(_Dataset([]), _train_set(), METAINFO, INPUT_SIZE)
    with pytest.raises(ValueError, match='needs people to evaluate'):
        mean_pose_2d_baseline(_train_set(), _Dataset([]), METAINFO, INPUT_SIZE)


def _torso_pck_by_hand(train, evaluation, thr=0.2):
    """The baseline from the annotation files with NumPy alone: boxes (xywh, clipped to
    the image as MMPose does), crops of 1.25 x the box widened to 3:4, the mean of each
    joint in crop units over the people who have it, tPCK with the torso from the right
    shoulder (6) to the left hip (11), else the left shoulder (5) to the right hip (12)."""
    def people(coco, count=None):
        sizes = {image['id']: (image['width'], image['height']) for image in coco['images']}
        order = {image['id']: i for i, image in enumerate(coco['images'])}
        anns = sorted(coco['annotations'], key=lambda a: order[a['image_id']])[:count]
        out = []
        for ann in anns:
            width, height = sizes[ann['image_id']]
            x, y, w, h = ann['bbox']
            box = np.array([np.clip(x, 0, width - 1), np.clip(y, 0, height - 1),
                            np.clip(x + w, 0, width - 1), np.clip(y + h, 0, height - 1)])
            centre = (box[:2] + box[2:]) / 2
            sw, sh = (box[2:] - box[:2]) * 1.25
            scale = np.array([sw, sw / 0.75] if sw > sh * 0.75 else [sh * 0.75, sh])
            keypoints = np.array(ann['keypoints'], np.float64).reshape(-1, 3)
            out.append((keypoints[:, :2], keypoints[:, 2] > 0, centre, scale, box))
        return out

    train_people = people(*train)
    crop = np.array([(k - c) / s for k, _, c, s, _ in train_people])
    seen = np.array([v for _, v, _, _, _ in train_people], np.float64)
    # a joint no training person has labelled is predicted at the crop's centre
    mean = (crop * seen[..., None]).sum(0) / np.maximum(seen.sum(0), 1)[:, None]
    hits, counts = np.zeros(17), np.zeros(17)
    for keypoints, visible, centre, scale, _ in people(evaluation):
        torso = 0.
        for a, b in ((6, 11), (5, 12)):
            if visible[a] and visible[b]:
                torso = np.linalg.norm(keypoints[a] - keypoints[b])
                if torso >= 1:
                    break
        if torso < 1:
            continue
        error = np.linalg.norm(centre + mean * scale - keypoints, axis=1) / torso
        hits += visible & (error < thr)
        counts += visible
    scored = counts > 0
    return float(np.mean(hits[scored] / counts[scored])), len(train_people)


def test_baseline_2d_of_a_config_on_generated_people(tiny_coco_source):
    """The COCO-17 config on the tiny generated data (its first 5 training people, the
    val split): the numbers of the same baseline computed from the annotation files."""
    import json
    from hsjp_mmpose.evaluation.mean_pose import mean_pose_2d_baseline_of_config
    from hsjp_mmpose.experiments.options import coco_data_root_options
    config = REPO_ROOT / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
    out = mean_pose_2d_baseline_of_config(
        config, coco_data_root_options(tiny_coco_source) + [
            'train_dataloader.dataset.indices=5'], split='val')

    def load(split):
        return json.loads((tiny_coco_source / f'annotations/person_keypoints_{split}.json')
                          .read_text())

    expected, num_train = _torso_pck_by_hand((load('train'), 5), load('val'))
    assert out['num_train'] == num_train == 5
    assert out['num_eval'] == len(load('val')['annotations'])
    assert out['tPCK'] == pytest.approx(expected, abs=1e-6)
    assert 0 < out['tPCK'] < 1 and 'tPCK/left_ankle' in out and 'PCK' in out
    with pytest.raises(ValueError, match="split must be 'val' or 'test'"):
        mean_pose_2d_baseline_of_config(config, split='train')
