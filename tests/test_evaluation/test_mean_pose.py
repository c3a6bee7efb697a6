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
