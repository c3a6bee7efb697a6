# Copyright (c) hsjp-mmpose contributors.
"""LocationMap3DHead and TopdownPose3DEstimator: shapes, loss, predictions in mm, flip."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.codecs import LocationMap3D

K = 17
COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
CODEC = dict(type='LocationMap3D', input_size=(96, 128), heatmap_size=(24, 32), sigma=2)


def _head(**kwargs):
    register_all_modules()
    cfg = dict(type='LocationMap3DHead', in_channels=32, out_channels=K,
               deconv_out_channels=(16, 16, 16), deconv_kernel_sizes=(4, 4, 4),
               decoder=CODEC)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def _samples(batch, seed=0):
    """Data samples as the training pipeline packs them, with random people."""
    rng = np.random.default_rng(seed)
    codec = LocationMap3D(input_size=(96, 128), heatmap_size=(24, 32), sigma=2)
    samples = []
    for _ in range(batch):
        keypoints = rng.uniform([8, 8], [88, 120], (1, K, 2)).astype(np.float32)
        target = rng.uniform(-800, 800, (1, K, 3)).astype(np.float32)
        encoded = codec.encode(keypoints, np.ones((1, K)), lifting_target=target)
        sample = PoseDataSample(metainfo=dict(flip_indices=COCO_FLIP, input_size=(96, 128),
                                              input_center=np.array([48., 64.]),
                                              input_scale=np.array([96., 128.])))
        sample.gt_fields = PixelData(heatmaps=torch.from_numpy(encoded['heatmaps']))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.from_numpy(encoded['keypoint_weights']),
            location_targets=torch.from_numpy(encoded['location_targets']),
            location_weights=torch.from_numpy(encoded['location_weights']))
        sample.gt_instances = InstanceData(lifting_target=target, bboxes=np.zeros((1, 4)),
                                           bbox_scores=np.ones(1))
        samples.append(sample)
    return samples


def test_forward_shapes():
    head = _head()
    out = head.forward((torch.rand(2, 32, 4, 3),))
    assert out.shape == (2, 4 * K, 32, 24)
    heatmaps, location_maps = head.split_outputs(out)
    assert heatmaps.shape == (2, K, 32, 24) and location_maps.shape == (2, 3 * K, 32, 24)


def test_loss_is_finite_and_decreases_on_one_batch():
    torch.manual_seed(0)
    head = _head()
    feats = (torch.rand(4, 32, 4, 3),)
    samples = _samples(4)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-2)
    totals = []
    for _ in range(30):
        losses = head.loss(feats, samples)
        assert set(losses) == {'loss_kpt', 'loss_location', 'acc_pose'}
        total = losses['loss_kpt'] + losses['loss_location']
        assert torch.isfinite(total)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert totals[-1] < 0.5 * totals[0], totals


def test_location_weights_are_the_gt_heatmaps_with_mean_one():
    head = _head()
    samples = _samples(1)
    gt = samples[0].gt_fields.heatmaps
    weights = head.location_pixel_weights(gt[None], torch.ones(1, K))
    assert weights.shape == (1, 3 * K, 32, 24)
    # the X, Y and Z blocks weigh the pixels near each joint like its GT heatmap
    for block in range(3):
        torch.testing.assert_close(weights[0, block * K:(block + 1) * K] / weights[0, :K].amax(
            dim=(1, 2), keepdim=True), gt / gt.amax(dim=(1, 2), keepdim=True))
    np.testing.assert_allclose(weights.mean(dim=(2, 3)).numpy(), 1., rtol=1e-4)


@pytest.mark.parametrize('root_index', [None, (11, 12)])
def test_location_loss_and_a_common_offset(root_index):
    """With the codec's root_index, a per-person offset of all maps costs nothing."""
    head = _head(decoder=dict(CODEC, root_index=root_index))
    samples = _samples(2, seed=3)
    outputs = torch.rand(2, 4 * K, 32, 24)
    shifted = outputs.clone()
    shifted[:, K:] += torch.tensor([0.5, -0.2]).view(2, 1, 1, 1)
    losses = []
    for out in (outputs, shifted):
        head.forward = lambda feats, out=out: out
        losses.append(head.loss((torch.zeros(1),), samples)['loss_location'].item())
    if root_index is None:
        assert losses[1] != pytest.approx(losses[0], rel=1e-3)
    else:
        assert losses[1] == pytest.approx(losses[0], rel=1e-4)


def test_predict_returns_2d_and_3d_in_mm():
    head = _head()
    samples = _samples(2, seed=1)
    # outputs that are exactly the encoded targets: heatmaps + constant location maps
    outputs = []
    for sample in samples:
        heatmaps = sample.gt_fields.heatmaps
        location = sample.gt_instance_labels.location_targets[0].T.reshape(3 * K, 1, 1)
        outputs.append(torch.cat([heatmaps, location.expand(-1, 32, 24)]))
    outputs = torch.stack(outputs)
    head.forward = lambda feats: outputs
    preds = head.predict((torch.zeros(1),), samples, test_cfg=dict(flip_test=False))
    assert len(preds) == 2
    for pred, sample in zip(preds, samples):
        assert pred.keypoints.shape == (1, K, 2)
        assert pred.keypoints_3d.shape == (1, K, 3)
        assert pred.keypoint_scores.shape == (1, K)
        np.testing.assert_allclose(pred.keypoints_3d, sample.gt_instances.lifting_target,
                                   atol=0.05)  # mm


def test_flip_back_undoes_a_mirrored_person():
    head = _head()
    outputs = torch.rand(2, 4 * K, 32, 24)
    blocks = outputs.view(2, 4, K, 32, 24)
    mirrored = blocks[:, :, COCO_FLIP].flip(-1).clone()
    mirrored[:, 1] *= -1  # X of the mirrored person
    restored = head._flip_back(mirrored.view(2, 4 * K, 32, 24), COCO_FLIP,
                               dict(shift_heatmap=False))
    torch.testing.assert_close(restored, outputs)


def test_flip_test_prediction_shapes():
    head = _head()
    feats = (torch.rand(2, 32, 4, 3),)
    preds = head.predict([feats, feats], _samples(2),
                         test_cfg=dict(flip_test=True, shift_heatmap=True))
    assert preds[0].keypoints_3d.shape == (1, K, 3)


def test_heatmap_head_checkpoints_fit_all_but_the_final_layer():
    """HSJP's transfer.pth comes from a HeatmapHead model: everything but final_layer fits."""
    heatmap_head = HeatmapHead(in_channels=32, out_channels=4,
                               deconv_out_channels=(16, 16, 16), deconv_kernel_sizes=(4, 4, 4))
    source = heatmap_head.state_dict()
    target = _head().state_dict()
    # plus the running mean pose's buffers, task-specific like the final layer they sit in
    assert set(target) - set(source) == {'final_layer.target_mean', 'final_layer.target_count'}
    assert set(source) <= set(target)
    assert set(_head(running_mean_pose=False).state_dict()) == set(source)
    mismatched = {k for k in source if source[k].shape != target[k].shape}
    assert mismatched == {'final_layer.weight', 'final_layer.bias'}


def test_running_mean_pose_is_the_weighted_mean_of_every_target_seen():
    head = _head()
    rng = np.random.default_rng(0)
    targets = [torch.from_numpy(rng.normal(0, 0.3, (4, K, 3)).astype(np.float32))
               for _ in range(3)]
    weights = [torch.from_numpy((rng.random((4, K)) > 0.3).astype(np.float32))
               for _ in range(3)]
    for target, weight in zip(targets, weights):
        head.update_target_mean(target, weight)
    all_targets, all_weights = torch.cat(targets).numpy(), torch.cat(weights).numpy()
    expected = ((all_targets * all_weights[..., None]).sum(0)
                / all_weights.sum(0)[:, None])
    np.testing.assert_allclose(head.target_mean.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(head.target_count.numpy(), all_weights.sum(0))
    # the mean is added to the X, Y, Z location maps at every pixel, not to the heatmaps
    feats = (torch.rand(2, 32, 4, 3),)
    with_mean = head.forward(feats)
    head.target_mean.zero_()
    without = head.forward(feats)
    heatmaps, location = head.split_outputs(with_mean - without)
    assert heatmaps.abs().max() == 0
    offset = torch.from_numpy(expected.T.reshape(3 * K)).float().view(1, -1, 1, 1)
    torch.testing.assert_close(location, offset.expand_as(location), atol=1e-5, rtol=1e-5)


def test_running_mean_pose_learns_in_training_only():
    head = _head()
    samples = _samples(2, seed=5)
    feats = (torch.rand(2, 32, 4, 3),)
    head.eval()
    head.loss(feats, samples)
    assert head.target_count.sum() == 0
    head.train()
    head.loss(feats, samples)
    expected = torch.cat([s.gt_instance_labels.location_targets for s in samples]).mean(0)
    torch.testing.assert_close(head.target_mean, expected)
    assert 'final_layer.target_mean' not in _head(running_mean_pose=False).state_dict()


def test_bad_arguments():
    with pytest.raises(ValueError, match='out_channels'):
        MODELS.build(
            dict(type='LocationMap3DHead', in_channels=32, out_channels=0, decoder=CODEC))
    with pytest.raises(TypeError, match='LocationMap3D codec'):
        MODELS.build(dict(type='LocationMap3DHead', in_channels=32, out_channels=K,
                          decoder=dict(type='MSRAHeatmap', input_size=(96, 128),
                                       heatmap_size=(24, 32), sigma=2)))


def test_estimator_puts_3d_joints_in_keypoints():
    register_all_modules()
    model = MODELS.build(dict(
        type='TopdownPose3DEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor'),
        backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8),
        head=dict(type='LocationMap3DHead', in_channels=64, out_channels=K,
                  deconv_out_channels=(16, 16, 16), decoder=CODEC),
        test_cfg=dict(flip_test=True, shift_heatmap=True)))
    model.eval()
    samples = _samples(2)
    with torch.no_grad():
        results = model.predict(torch.rand(2, 3, 128, 96), samples)
    for result in results:
        pred = result.pred_instances
        assert pred.keypoints.shape == (1, K, 3)
        np.testing.assert_array_equal(pred.keypoints, pred.keypoints_3d)
        assert pred.keypoints_2d.shape == (1, K, 2)
