# Copyright (c) hsjp-mmpose contributors.
"""Show shuffled puzzles with their true and predicted solutions during validation."""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from hsjp_mmpose.jigsaw import check_grid, permutation_from_keypoints
from hsjp_mmpose.visualization.jigsaw import draw_jigsaw_panel
from mmpose.registry import HOOKS
from mmpose.structures import PoseDataSample


@HOOKS.register_module()
class JigsawVisualizationHook(Hook):
    """Write panels of ``[shuffled input | true solution | predicted solution]``.

    Every ``interval`` validation (and test) iterations, the first ``max_samples`` samples
    of the batch are drawn (see :func:`draw_jigsaw_panel`), stacked, and handed to
    ``runner.visualizer.add_image`` under the name ``'val_jigsaw_<batch index>'``
    (``'test_jigsaw_...'``) at the current training iteration, so they go to the
    visualizer's configured backends (``LocalVisBackend`` writes
    ``<work_dir>/<timestamp>/vis_data/vis_image/val_jigsaw_<batch index>_<iter>.png``; a
    TensorBoard backend shows each batch's panel evolving over training).

    The shuffled input is the model input before the data preprocessor (uint8, BGR); the
    true permutation is ``jigsaw_permutation`` in the sample's metainfo (add it to
    ``PackPoseInputs(meta_keys=...)``); the predicted one is read from the predicted
    keypoints, mapped back from image to input coordinates. The grid is ``jigsaw_grid``
    in the sample's metainfo (written by ``RandomJigsaw``), so a config states it once, on
    the transform; without it, the ``grid`` argument or the head's decoder's ``grid``
    (``HeatmapJigsaw``). A ``grid`` argument that disagrees with the sample's is an error.

    Args:
        enable (bool): Whether to draw. Defaults to True.
        interval (int): Draw every ``interval`` iterations of a validation. Defaults to 50.
        max_samples (int): Samples drawn per visualised batch. Defaults to 4.
        grid (tuple, optional): ``(rows, cols)`` of the puzzles, for samples packed
            without ``jigsaw_grid``. Defaults to None.
        scale (int): Upscaling of each tile. Defaults to 2.
    """

    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = True,
                 interval: int = 50,
                 max_samples: int = 4,
                 grid: Optional[Tuple[int, int]] = None,
                 scale: int = 2) -> None:
        for name, value in (('interval', interval), ('max_samples', max_samples),
                            ('scale', scale)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, but got {value!r}')
        self.enable = enable
        self.interval = interval
        self.max_samples = max_samples
        self.grid = check_grid(grid) if grid is not None else None
        self.scale = scale

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict = None,
                       outputs: Optional[Sequence[PoseDataSample]] = None) -> None:
        """Draw the first samples of every ``interval``-th validation batch."""
        self._draw(runner, batch_idx, data_batch, outputs, 'val_jigsaw')

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict = None,
                        outputs: Optional[Sequence[PoseDataSample]] = None) -> None:
        """Draw the first samples of every ``interval``-th test batch."""
        self._draw(runner, batch_idx, data_batch, outputs, 'test_jigsaw')

    def _draw(self, runner: Runner, batch_idx: int, data_batch: Optional[dict],
              outputs: Optional[Sequence[PoseDataSample]], name: str) -> None:
        if not self.enable or not outputs or not data_batch \
                or batch_idx % self.interval != 0:
            return
        panels = []
        for inputs, output in list(zip(data_batch['inputs'], outputs))[:self.max_samples]:
            panels.append(self.draw_sample(runner, inputs, output))
        width = max(panel.shape[1] for panel in panels)
        panels = [np.pad(panel, ((0, 4), (0, width - panel.shape[1]), (0, 0)),
                         constant_values=255) for panel in panels]
        runner.visualizer.add_image(f'{name}_{batch_idx}', np.concatenate(panels, axis=0),
                                    step=runner.iter)

    def draw_sample(self, runner: Runner, inputs, output: PoseDataSample) -> np.ndarray:
        """One panel (RGB uint8) for a model input (C, H, W, BGR) and its prediction."""
        metainfo = output.metainfo
        if 'jigsaw_permutation' not in metainfo:
            raise ValueError('the data sample has no "jigsaw_permutation": add it to '
                             "PackPoseInputs(meta_keys=(..., 'jigsaw_permutation')) in the "
                             'validation pipeline')
        grid = self._grid(runner, metainfo)
        image = inputs.detach().cpu().numpy() if hasattr(inputs, 'detach') \
            else np.asarray(inputs)
        image = image.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
        pred_permutation = None
        if 'pred_instances' in output and 'keypoints' in output.pred_instances:
            keypoints = _to_input_space(output)
            pred_permutation = permutation_from_keypoints(keypoints, grid,
                                                          metainfo['input_size'])
        return draw_jigsaw_panel(image, grid, metainfo['jigsaw_permutation'],
                                 pred_permutation, channel_order='bgr', scale=self.scale)

    def _grid(self, runner: Runner, metainfo: dict) -> Tuple[int, int]:
        packed = metainfo.get('jigsaw_grid')
        packed = check_grid(tuple(packed)) if packed is not None else None
        if self.grid is not None:
            if packed is not None and packed != self.grid:
                raise ValueError(f'JigsawVisualizationHook(grid={self.grid}) disagrees with '
                                 f'the jigsaw_grid {packed} that RandomJigsaw packed into the '
                                 "sample; drop the hook's grid (it reads the sample's)")
            return self.grid
        if packed is not None:
            return packed
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        grid = getattr(getattr(getattr(model, 'head', None), 'decoder', None), 'grid', None)
        if grid is None:
            raise ValueError('JigsawVisualizationHook cannot tell the puzzle grid: pass '
                             "grid=(rows, cols), add 'jigsaw_grid' to PackPoseInputs' "
                             'meta_keys, or decode with HeatmapJigsaw')
        self.grid = check_grid(tuple(grid))
        return self.grid


def _to_input_space(sample: PoseDataSample) -> np.ndarray:
    """The first instance's predicted keypoints (K, 2) in model-input coordinates,
    undoing :meth:`TopdownPoseEstimator.add_pred_to_datasample`."""
    keypoints = np.asarray(sample.pred_instances.keypoints)[0, :, :2]
    center = np.asarray(sample.metainfo['input_center'], dtype=np.float64).reshape(-1)[:2]
    scale = np.asarray(sample.metainfo['input_scale'], dtype=np.float64).reshape(-1)[:2]
    input_size = np.asarray(sample.metainfo['input_size'], dtype=np.float64)
    return (keypoints - center + 0.5 * scale) / scale * input_size
