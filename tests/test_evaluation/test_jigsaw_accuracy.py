# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
from mmpose.registry import METRICS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.codecs import HeatmapJigsaw
from hsjp_mmpose.jigsaw import cell_centers

GRID, INPUT_SIZE = (2, 3), (96, 64)  # rows, cols; (w, h)


def _sample(truth, pred, center=(300., 200.), scale=(150., 100.)):
    """A data sample as the Evaluator hands it over: predictions in image space."""
    kpts = cell_centers(GRID, INPUT_SIZE)[np.asarray(pred)]
    center, scale = np.array(center), np.array(scale)
    kpts = kpts / np.array(INPUT_SIZE) * scale + center - 0.5 * scale
    return dict(pred_instances=dict(keypoints=kpts[None], keypoint_scores=np.ones((1, 6))),
                jigsaw_permutation=np.asarray(truth, dtype=np.int64), jigsaw_grid=GRID,
                input_center=center, input_scale=scale, input_size=INPUT_SIZE)


def test_patch_and_puzzle_accuracy():
    metric = METRICS.build(dict(type='JigsawAccuracy'))
    truth = [3, 1, 0, 5, 2, 4]
    metric.process([], [_sample(truth, truth)])
    metric.process([], [_sample(truth, [1, 3, 0, 5, 2, 4])])  # two patches swapped
    metric.process([], [_sample([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], center=(10., 900.))])
    results = metric.evaluate(size=3)
    assert results['jigsaw/patch_accuracy'] == pytest.approx(16 / 18)
    assert results['jigsaw/puzzle_accuracy'] == pytest.approx(2 / 3)


def test_grid_argument_and_missing_keys():
    metric = METRICS.build(dict(type='JigsawAccuracy', grid=GRID, prefix='pre'))
    sample = _sample([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5])
    del sample['jigsaw_grid']
    metric.process([], [sample])
    assert metric.evaluate(1) == {'pre/patch_accuracy': 1.0, 'pre/puzzle_accuracy': 1.0}
    metric = METRICS.build(dict(type='JigsawAccuracy'))
    with pytest.raises(ValueError, match='grid'):
        metric.process([], [sample])
    del sample['jigsaw_permutation']
    with pytest.raises(KeyError, match='meta_keys'):
        metric.process([], [sample])


def _to_image(keypoints, center, scale, input_size):
    """Model-input keypoints (K, 2) to image space, as TopdownPoseEstimator does, in
    float32 (the coarsest precision a prediction may be stored in)."""
    kpts = keypoints / np.asarray(input_size) * scale + center - 0.5 * scale
    return kpts.astype(np.float32)


def _codec_sample(truth, keypoints, grid, input_size, center=(317.3, 211.7),
                  scale=(143.9, 151.3)):
    center, scale = np.array(center, np.float32), np.array(scale, np.float32)
    kpts = _to_image(keypoints, center, scale, input_size)
    return dict(pred_instances=dict(keypoints=kpts[None],
                                    keypoint_scores=np.ones((1, len(kpts)))),
                jigsaw_permutation=np.asarray(truth, dtype=np.int64), jigsaw_grid=grid,
                input_center=center, input_scale=scale, input_size=input_size)


NON_DIVIDING = [
    ((3, 3), (96, 96), (32, 32)),
    ((4, 3), (96, 96), (32, 24)),
    ((3, 3), (75, 75), (25, 25)),
    ((3, 3), (156, 156), (33, 33)),  # pixels on cell boundaries up to float32 rounding
]


@pytest.mark.parametrize('grid,input_size,heatmap_size', NON_DIVIDING)
def test_off_centre_codec_predictions_score_one(grid, input_size, heatmap_size):
    """Peaks on a corner pixel of their cells (by ``HeatmapJigsaw.cell_map``), far off
    the centres: argmax and assignment decoding both score 1.0."""
    num = grid[0] * grid[1]
    codecs = [HeatmapJigsaw(input_size, heatmap_size, grid, sigma=1., decode_mode=mode)
              for mode in ('assignment', 'argmax')]
    cell_map = codecs[0].cell_map
    corners = []  # a corner pixel (x, y) of every cell, cycling through the 4 corners
    for cell in range(num):
        ys, xs = np.nonzero(cell_map == cell)
        corners.append([(xs.min(), ys.min()), (xs.max(), ys.min()), (xs.max(), ys.max()),
                        (xs.min(), ys.max())][cell % 4])
    corners = np.array(corners, dtype=np.float32)
    metrics = [METRICS.build(dict(type='JigsawAccuracy')) for _ in codecs]
    rng = np.random.RandomState(3)
    for _ in range(10):
        perm = rng.permutation(num)
        targets = corners[perm] * codecs[0].scale_factor
        assert (np.abs(targets - codecs[0].cell_centers[perm]).max(axis=1) > 2).all()
        heatmaps = codecs[0].encode(targets[None])['heatmaps']
        for codec, metric in zip(codecs, metrics):
            keypoints, _ = codec.decode(heatmaps)
            metric.process([], [_codec_sample(perm, keypoints[0], grid, input_size)])
    for metric in metrics:
        results = metric.evaluate(size=10)
        assert results == {'jigsaw/patch_accuracy': 1.0, 'jigsaw/puzzle_accuracy': 1.0}


@pytest.mark.parametrize('grid,input_size,heatmap_size', NON_DIVIDING)
def test_every_heatmap_pixel_counts_for_its_codec_cell(grid, input_size, heatmap_size):
    """An argmax prediction at any heatmap pixel, through image space and back, is
    placed in the cell the codec scores that pixel for."""
    num = grid[0] * grid[1]
    codec = HeatmapJigsaw(input_size, heatmap_size, grid, decode_mode='argmax')
    ys, xs = np.mgrid[:heatmap_size[1], :heatmap_size[0]]
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=-1)
    pixels = np.concatenate([pixels, pixels[:(-len(pixels)) % num]])  # whole puzzles
    metric = METRICS.build(dict(type='JigsawAccuracy'))
    for start in range(0, len(pixels), num):
        chunk = pixels[start:start + num]
        heatmaps = np.zeros((num, heatmap_size[1], heatmap_size[0]), dtype=np.float32)
        heatmaps[np.arange(num), chunk[:, 1], chunk[:, 0]] = 1.
        keypoints, _ = codec.decode(heatmaps)
        truth = codec.cell_map[chunk[:, 1], chunk[:, 0]]
        metric.process([], [_codec_sample(truth, keypoints[0], grid, input_size)])
    assert metric.evaluate(size=len(pixels) // num)['jigsaw/patch_accuracy'] == 1.0


def test_grid_argument_must_agree_with_the_packed_grid():
    """The grid is stated once (on RandomJigsaw); a metric grid that disagrees with the
    samples' is an error that names both, one that agrees is accepted."""
    truth = [3, 1, 0, 5, 2, 4]
    agreeing = METRICS.build(dict(type='JigsawAccuracy', grid=GRID))
    agreeing.process([], [_sample(truth, truth)])
    assert agreeing.evaluate(1)['jigsaw/patch_accuracy'] == 1.0
    metric = METRICS.build(dict(type='JigsawAccuracy', grid=(3, 2)))
    with pytest.raises(ValueError, match=r'grid=\(3, 2\).*jigsaw_grid \(2, 3\)'):
        metric.process([], [_sample(truth, truth)])
