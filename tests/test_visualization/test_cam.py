# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from hsjp_mmpose.visualization.cam import (draw_cam_grid, draw_sample_cams,
                                           keypoints_to_input_space, overlay_cam)
from mmpose.structures import PoseDataSample


def test_overlay_cam_resizes_and_colours_the_peak():
    image = np.zeros((64, 48, 3), np.uint8)
    cam = np.zeros((16, 12), np.float32)
    cam[4, 3] = 1.
    out = overlay_cam(image, cam, alpha=1.)
    assert out.shape == image.shape and out.dtype == np.uint8
    # jet: the peak is red (BGR), the rest blue
    assert out[17, 13, 2] > 200 and out[60, 40, 0] > 100 and out[60, 40, 2] < 50
    assert overlay_cam(image, np.ones((4, 4))).shape == image.shape  # flat map


def test_grid_has_one_tile_for_the_skeleton_and_one_per_keypoint():
    image = np.full((32, 24, 3), 128, np.uint8)
    grid = draw_cam_grid(image, np.random.rand(5, 8, 6), np.full((5, 2), 10.),
                         np.ones(5), skeleton=[(0, 1)], num_columns=4, tile_scale=2.)
    assert grid.shape == (2 * 64, 4 * 48, 3)  # 6 tiles in rows of 4
    with pytest.raises(ValueError, match='5 CAMs but 4 keypoints'):
        draw_cam_grid(image, np.random.rand(5, 8, 6), np.zeros((4, 2)))


def test_keypoints_to_input_space_inverts_the_estimator_mapping():
    center, scale, size = np.array([100., 50.]), np.array([60., 80.]), (48, 64)
    crop = np.array([[0., 0.], [24., 32.], [48., 64.]])
    image = crop / np.array(size) * scale + center - 0.5 * scale  # as TopdownPoseEstimator
    np.testing.assert_allclose(keypoints_to_input_space(image, center, scale, size), crop,
                               atol=1e-4)


def test_draw_sample_cams_needs_heatmaps():
    sample = PoseDataSample(metainfo=dict(input_center=np.array([24., 32.]),
                                          input_scale=np.array([48., 64.]),
                                          input_size=(48, 64)))
    sample.pred_instances = InstanceData(keypoints=np.full((1, 3, 2), 20.),
                                         keypoint_scores=np.ones((1, 3)))
    meta = dict(num_keypoints=3, keypoint_id2name={0: 'a', 1: 'b', 2: 'c'},
                skeleton_links=[(0, 1)])
    image = np.zeros((64, 48, 3), np.uint8)
    with pytest.raises(KeyError, match='output_heatmaps'):
        draw_sample_cams(image, sample, meta)
    sample.pred_fields = PixelData(heatmaps=torch.rand(3, 16, 12))
    assert draw_sample_cams(image, sample, meta).shape == (128, 6 * 96, 3)  # rows of 6
