# Copyright (c) hsjp-mmpose contributors.
"""3D person data: Keypoint3DCocoDataset on generated people, GetRootRelativeKeypoints3D."""
import json

import numpy as np
import pytest
from mmengine.config import Config
from mmpose.datasets.transforms import TopdownAffine
from mmpose.registry import DATASETS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.datasets.keypoint_3d_datasets import mpjpe_image_name
from hsjp_mmpose.datasets.transforms import GetRootRelativeKeypoints3D
from tests.utils import REPO_ROOT

CONFIG = REPO_ROOT / 'configs/pose3d/td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def _dataset(data_root, split='val', pipeline=None, **kwargs):
    register_all_modules()
    cfg = Config.fromfile(str(CONFIG))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    dataset_cfg.update(data_root=str(data_root) + '/', **kwargs)
    if pipeline is not None:
        dataset_cfg.pipeline = pipeline
    return DATASETS.build(dataset_cfg)


def test_generated_people_carry_camera_frame_joints(synthetic_coco):
    dataset = _dataset(synthetic_coco, pipeline=[])
    assert len(dataset) > 0
    for index in range(len(dataset)):
        info = dataset[index]
        joints, keypoints = info['keypoints_3d'], info['keypoints']
        assert joints.shape == (1, 17, 3) and joints.dtype == np.float32
        assert info['keypoints_3d_visible'].shape == (1, 17)
        cam = info['camera_param']
        # the projection of the 3D joints (mm, camera frame) gives the 2D keypoints
        projected = cam['f'] * joints[0, :, :2] / joints[0, :, 2:] + cam['c']
        visible = info['keypoints_visible'][0] > 0
        np.testing.assert_allclose(projected[visible], keypoints[0][visible], atol=0.05)
        # MPJPE's per-action names: synthetic_<pose kind>.<file>
        name = info['target_img_path'][0]
        assert name.startswith('synthetic_') and name.endswith('.jpg')


def test_val_pipeline_packs_the_root_relative_target(synthetic_coco):
    dataset = _dataset(synthetic_coco)
    raw = _dataset(synthetic_coco, pipeline=[])
    sample = dataset[0]
    gt = sample['data_samples'].gt_instances
    joints = raw[0]['keypoints_3d']
    expected = joints - joints[:, [11, 12]].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(gt.lifting_target, expected, atol=1e-3)
    np.testing.assert_allclose(gt.lifting_target[0, [11, 12]].mean(axis=0), 0., atol=1e-3)
    assert gt.lifting_target_visible.shape == (1, 17)
    assert 'bboxes' in gt and 'keypoints' in gt  # PackPoseInputs' own keys kept
    assert sample['data_samples'].metainfo['target_img_path'] == raw[0]['target_img_path']


def test_train_pipeline_encodes_the_3d_target(synthetic_coco):
    sample = _dataset(synthetic_coco, split='train')[0]
    data_sample = sample['data_samples']
    assert tuple(sample['inputs'].shape) == (3, 128, 96)
    assert data_sample.gt_fields.heatmaps.shape == (17, 32, 24)
    labels = data_sample.gt_instance_labels
    assert labels.location_targets.shape == (1, 17, 3)
    assert labels.location_weights.shape == (1, 17)
    # location targets are the packed lifting target in metres
    np.testing.assert_allclose(labels.location_targets.numpy(),
                               data_sample.gt_instances.lifting_target / 1000., atol=1e-6)


def _results(joints, **extra):
    return dict(keypoints_3d=joints[None].copy(), flip_indices=COCO_FLIP, **extra)


def test_flip_swaps_sides_and_negates_x():
    joints = np.random.default_rng(0).uniform(-500, 500, (17, 3)).astype(np.float32) + [0, 0, 4000]
    plain = GetRootRelativeKeypoints3D()(_results(joints))['lifting_target'][0]
    flipped = GetRootRelativeKeypoints3D()(
        _results(joints, flip=True, flip_direction='horizontal'))['lifting_target'][0]
    np.testing.assert_allclose(flipped[:, 1:], plain[COCO_FLIP][:, 1:], atol=1e-3)
    np.testing.assert_allclose(flipped[:, 0], -plain[COCO_FLIP][:, 0], atol=1e-3)


@pytest.mark.parametrize('angle', [25., -40., 90.])
def test_target_turns_with_the_crop(angle):
    """A person parallel to the image plane, the crop centred on the principal point:
    the crop's 2D keypoints and the target's (X, Y) must point the same ways."""
    rng = np.random.default_rng(1)
    joints = np.concatenate([rng.uniform(-600, 600, (17, 2)), np.full((17, 1), 5000.)], axis=1)
    f, c = 1000., np.array([160., 128.])
    keypoints = f * joints[:, :2] / joints[:, 2:] + c
    results = _results(joints.astype(np.float32), bbox_rotation=np.array([angle]),
                       img=np.zeros((256, 320, 3), np.uint8), keypoints=keypoints[None],
                       keypoints_visible=np.ones((1, 17)),
                       bbox_center=c[None], bbox_scale=np.array([[200., 200.]]))
    results = TopdownAffine(input_size=(96, 128))(results)
    results = GetRootRelativeKeypoints3D()(results)
    crop = results['transformed_keypoints'][0]
    crop = crop - crop[[11, 12]].mean(axis=0)
    target = results['lifting_target'][0, :, :2]
    scale = np.linalg.norm(crop) / np.linalg.norm(target)
    np.testing.assert_allclose(target * scale, crop, atol=1e-2)


def test_root_index_and_availability():
    joints = np.arange(17 * 3, dtype=np.float32).reshape(17, 3)
    visible = np.ones((1, 17))
    visible[0, 0] = 0
    out = GetRootRelativeKeypoints3D(root_index=0)(
        dict(keypoints_3d=joints[None], keypoints_3d_visible=visible))
    assert out['lifting_target_visible'].max() == 0  # root unknown: nothing to compare
    out = GetRootRelativeKeypoints3D(root_index=0)(dict(keypoints_3d=joints[None]))
    np.testing.assert_allclose(out['lifting_target'][0], joints - joints[0])
    assert out['instance_mapping_table']['lifting_target'] == 'lifting_target'
    with pytest.raises(ValueError, match='root_index'):
        GetRootRelativeKeypoints3D(root_index=[])
    with pytest.raises(KeyError, match='keypoints_3d'):
        GetRootRelativeKeypoints3D()(dict(keypoints=np.zeros((1, 17, 2))))


def test_coco_style_file_in_metres_with_availability(tmp_path):
    """A COCO-style file with flat 17 x 4 keypoints_3d in metres (MMPose's H36M style)."""
    joints = np.random.default_rng(2).uniform(-0.5, 0.5, (17, 3)) + [0, 0, 5.]
    keypoints = np.concatenate([joints[:, :2] / joints[:, 2:] * 1000. + 200., np.ones((17, 1))], 1)
    ann = dict(id=1, image_id=1, category_id=1, iscrowd=0, bbox=[100, 100, 200, 200],
               area=40000., num_keypoints=17, keypoints=keypoints.ravel().tolist(),
               keypoints_3d=np.concatenate([joints, np.ones((17, 1))], 1).ravel().tolist())
    data = dict(images=[dict(id=1, file_name='S1_Walking.cam_000001.jpg', width=400,
                             height=400)],
                annotations=[ann],
                categories=[dict(id=1, name='person', supercategory='person')])
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    dataset = _dataset(tmp_path, pipeline=[], ann_file='ann.json', data_prefix=dict(img=''),
                       keypoint_3d_scale=1000.)
    info = dataset[0]
    np.testing.assert_allclose(info['keypoints_3d'][0], joints * 1000., rtol=1e-5)
    assert info['target_img_path'] == ['S1_Walking.cam_000001.jpg']
    assert 'camera_param' not in info

    del ann['keypoints_3d']
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(ValueError, match='no keypoints_3d'):
        _dataset(tmp_path, pipeline=[], ann_file='ann.json', data_prefix=dict(img=''))


def test_mpjpe_image_names():
    assert mpjpe_image_name('000001.jpg', 'arms_raised') == 'synthetic_arms-raised.000001.jpg'
    assert mpjpe_image_name('S1/S1_Walking_1.54138969_000001.jpg') == \
        'S1_Walking_1.54138969_000001.jpg'
    assert mpjpe_image_name('000001.jpg') == 'synthetic_all.000001.jpg'
