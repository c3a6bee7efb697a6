# Copyright (c) hsjp-mmpose contributors.
"""Write per-keypoint CAMs and the decoded skeleton of a few validation samples."""
import os.path as osp
from typing import Optional, Sequence

import cv2
import mmengine
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpose.registry import HOOKS
from ...visualization.cam import draw_sample_cams, sample_file_name


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """After each validation, save CAM grids of the first ``max_images`` samples.

    During validation the model's ``test_cfg['output_heatmaps']`` is switched on, so a
    ``LocationFreeHead`` (or any heatmap head) returns its maps in
    ``pred_fields.heatmaps``; each grid (see
    :func:`~hsjp_mmpose.visualization.cam.draw_cam_grid`) shows the input crop with the
    decoded skeleton, then one tile per keypoint. Files go to
    ``{work_dir}/{out_dir}/epoch_{N}/{img_id}_{instance id}.jpg``.

    Args:
        max_images (int): Samples drawn per validation. Defaults to 4.
        out_dir (str): Folder under the work dir. Defaults to ``'cam_vis'``.
        score_thr (float): Keypoints scored at or under it are not drawn.
            Defaults to 0.
    """

    priority = 'LOW'

    def __init__(self, max_images: int = 4, out_dir: str = 'cam_vis',
                 score_thr: float = 0.) -> None:
        if not isinstance(max_images, int) or max_images < 1:
            raise ValueError(f'max_images must be a positive int, got {max_images!r}')
        self.max_images = max_images
        self.out_dir = out_dir
        self.score_thr = score_thr
        self._count = 0
        self._saved_flag: Optional[bool] = None

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_val_epoch(self, runner) -> None:
        self._count = 0
        test_cfg = self._model(runner).test_cfg
        self._saved_flag = test_cfg.get('output_heatmaps', None)
        test_cfg['output_heatmaps'] = True

    def after_val_epoch(self, runner, metrics=None) -> None:
        test_cfg = self._model(runner).test_cfg
        if self._saved_flag is None:
            test_cfg.pop('output_heatmaps', None)
        else:
            test_cfg['output_heatmaps'] = self._saved_flag

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict = None,
                       outputs: Optional[Sequence] = None) -> None:
        # Files come from the main process only (each rank sees its own shard).
        if self._count >= self.max_images or not outputs or not is_main_process():
            return
        meta = runner.val_dataloader.dataset.metainfo
        folder = osp.join(runner.work_dir, self.out_dir, f'epoch_{runner.epoch}')
        mmengine.mkdir_or_exist(folder)
        for inputs, sample in zip(data_batch['inputs'], outputs):
            if self._count >= self.max_images:
                break
            if 'pred_fields' not in sample or 'heatmaps' not in sample.pred_fields:
                continue
            image = inputs.cpu().numpy().transpose(1, 2, 0)
            grid = draw_sample_cams(image, sample, meta, self.score_thr)
            cv2.imwrite(osp.join(folder, sample_file_name(sample, self._count)), grid)
            self._count += 1
