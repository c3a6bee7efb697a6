# Copyright (c) hsjp-mmpose contributors.
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmengine.visualization import Visualizer

from hsjp_mmpose.datasets.transforms.random_jigsaw import RandomJigsaw
from hsjp_mmpose.engine.hooks import JigsawVisualizationHook
from mmpose.structures import PoseDataSample

GRID = (4, 3)
INPUT_SIZE = (48, 64)  # (w, h)
CENTER, SCALE = np.array([100., 200.]), np.array([96., 128.])


def jigsaw_sample(seed, swap=None, grid_in_meta=True):
    """A shuffled input and its data sample, predicted keypoints in image space (as
    ``TopdownPoseEstimator`` returns them); ``swap`` exchanges two predictions."""
    np.random.seed(seed)
    image = np.random.randint(0, 256, (INPUT_SIZE[1], INPUT_SIZE[0], 3), dtype=np.uint8)
    results = RandomJigsaw(grid=GRID)(dict(img=image, input_size=INPUT_SIZE))
    keypoints = results['transformed_keypoints'].copy()  # (1, K, 2), input space
    if swap is not None:
        keypoints[0, list(swap)] = keypoints[0, list(swap)[::-1]]
    keypoints = keypoints / np.array(INPUT_SIZE) * SCALE + CENTER - 0.5 * SCALE
    sample = PoseDataSample()
    meta = dict(input_size=INPUT_SIZE, input_center=CENTER, input_scale=SCALE,
                jigsaw_permutation=results['jigsaw_permutation'])
    if grid_in_meta:
        meta['jigsaw_grid'] = results['jigsaw_grid']
    sample.set_metainfo(meta)
    sample.pred_instances = InstanceData(keypoints=keypoints,
                                         keypoint_scores=np.ones(keypoints.shape[:2]))
    inputs = torch.from_numpy(results['img'].transpose(2, 0, 1).copy())  # (C, H, W) uint8
    return inputs, sample


def fake_runner(tmp_path, head_grid=None):
    visualizer = Visualizer.get_instance(
        f'jigsaw_hook_{tmp_path.name}', vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path))
    head = SimpleNamespace(decoder=SimpleNamespace(grid=head_grid))
    return SimpleNamespace(model=SimpleNamespace(head=head), iter=7, visualizer=visualizer)


def cell_centers_px(panel, tile, scale=2, gap=4, title=18):
    """Pixels at the centre of each cell of tile ``tile`` in a panel."""
    rows, cols = GRID
    cell_h, cell_w = INPUT_SIZE[1] * scale // rows, INPUT_SIZE[0] * scale // cols
    x0 = tile * (INPUT_SIZE[0] * scale + gap)
    return np.stack([panel[title + r * cell_h + cell_h // 2, x0 + c * cell_w + cell_w // 2]
                     for r in range(rows) for c in range(cols)])


def test_writes_panel_through_local_backend(tmp_path):
    samples = [jigsaw_sample(0), jigsaw_sample(1, swap=(0, 5)), jigsaw_sample(2)]
    data_batch = dict(inputs=[s[0] for s in samples], data_samples=[s[1] for s in samples])
    outputs = [s[1] for s in samples]
    hook = JigsawVisualizationHook(interval=2, max_samples=2)
    runner = fake_runner(tmp_path)

    hook.after_val_iter(runner, 1, data_batch, outputs)  # not an interval-th batch
    assert not (tmp_path / 'vis_data' / 'vis_image').exists()
    hook.after_val_iter(runner, 0, data_batch, outputs)

    written = tmp_path / 'vis_data' / 'vis_image' / 'val_jigsaw_0_7.png'
    assert written.is_file()
    image = cv2.imread(str(written))[..., ::-1]  # RGB
    panel_h = INPUT_SIZE[1] * 2 + 18 + 4
    assert image.shape == (2 * panel_h, 3 * INPUT_SIZE[0] * 2 + 2 * 4, 3)

    first, second = image[:panel_h], image[panel_h:]
    truth = cell_centers_px(first, 1)
    np.testing.assert_array_equal(cell_centers_px(first, 2), truth)  # right prediction
    wrong = np.any(cell_centers_px(second, 2) != cell_centers_px(second, 1), axis=-1)
    assert wrong.sum() == 2  # the two swapped patches


def test_grid_from_head_decoder_and_test_loop(tmp_path):
    inputs, sample = jigsaw_sample(0, grid_in_meta=False)
    hook = JigsawVisualizationHook(interval=1)
    runner = fake_runner(tmp_path, head_grid=GRID)
    hook.after_test_iter(runner, 3, dict(inputs=[inputs], data_samples=[sample]), [sample])
    assert (tmp_path / 'vis_data' / 'vis_image' / 'test_jigsaw_3_7.png').is_file()


def test_missing_permutation_says_what_to_do(tmp_path):
    inputs, sample = jigsaw_sample(0)
    sample = PoseDataSample(metainfo=dict(input_size=INPUT_SIZE, jigsaw_grid=GRID))
    hook = JigsawVisualizationHook(interval=1)
    with pytest.raises(ValueError, match='meta_keys'):
        hook.after_val_iter(fake_runner(tmp_path), 0,
                            dict(inputs=[inputs], data_samples=[sample]), [sample])


def test_disabled_and_bad_arguments(tmp_path):
    inputs, sample = jigsaw_sample(0)
    JigsawVisualizationHook(enable=False, interval=1).after_val_iter(
        fake_runner(tmp_path), 0, dict(inputs=[inputs], data_samples=[sample]), [sample])
    assert not (tmp_path / 'vis_data' / 'vis_image').exists()
    with pytest.raises(ValueError, match='interval'):
        JigsawVisualizationHook(interval=0)
    with pytest.raises(ValueError, match='grid'):
        JigsawVisualizationHook(grid=(1, 1))


def test_grid_from_the_packed_sample_and_a_disagreeing_argument(tmp_path):
    """The packed ``jigsaw_grid`` wins over the head's decoder; an explicit grid must agree
    with it."""
    inputs, sample = jigsaw_sample(0)
    batch = dict(inputs=[inputs], data_samples=[sample])
    JigsawVisualizationHook(interval=1).after_val_iter(
        fake_runner(tmp_path, head_grid=(2, 2)), 0, batch, [sample])
    assert (tmp_path / 'vis_data' / 'vis_image' / 'val_jigsaw_0_7.png').is_file()
    with pytest.raises(ValueError, match=r'grid=\(3, 4\).*jigsaw_grid \(4, 3\)'):
        JigsawVisualizationHook(interval=1, grid=(3, 4)).after_val_iter(
            fake_runner(tmp_path), 0, batch, [sample])
