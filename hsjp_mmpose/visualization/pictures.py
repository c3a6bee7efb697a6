# Copyright (c) hsjp-mmpose contributors.
"""Pictures of a trained model on the first people of a data set, for experiment reports:
the puzzles an HSJP network solves (:func:`render_dataset_puzzles`), heatmaps or CAMs
(:func:`~hsjp_mmpose.visualization.cam.render_dataset_cams`) and the skeleton
``MMPoseInferencer`` draws on the photo (:func:`render_skeletons`)."""
import argparse
from pathlib import Path
from typing import List, Optional, Sequence, Union

import cv2
import numpy as np

from .cam import render_dataset_cams
from .jigsaw import draw_jigsaw_panel

__all__ = ['config_with_options', 'render_dataset_puzzles', 'render_dataset_cams',
           'render_skeletons']


def config_with_options(config: Union[str, Path], options: Sequence[str] = (),
                        loader: str = 'val_dataloader'):
    """``config`` read with ``--cfg-options`` ``options`` applied; with ``loader=
    'test_dataloader'`` its val loader is replaced by the test loader (the drawing
    functions read ``val_dataloader``)."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(str(config))
    if options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--cfg-options', *options]).cfg_options)
    if loader != 'val_dataloader':
        cfg.val_dataloader = cfg[loader]
    return cfg


def _model_and_dataset(cfg, checkpoint: Optional[str], device: str):
    from mmpose.apis import init_model
    from mmpose.registry import DATASETS
    from mmpose.utils import register_all_modules
    register_all_modules()
    return init_model(cfg, checkpoint, device=device), DATASETS.build(cfg.val_dataloader.dataset)


def render_dataset_puzzles(cfg, checkpoint: Optional[str], out_dir: Union[str, Path],
                           num_images: int = 4, device: str = 'cpu') -> List[str]:
    """``[shuffled | true solution | predicted solution]`` panels of an HSJP model on the
    first ``num_images`` samples of ``cfg``'s val loader (its ``RandomJigsaw`` puzzle),
    one PNG each in ``out_dir``."""
    import torch
    from mmengine.dataset import pseudo_collate

    from hsjp_mmpose.evaluation.left_right import to_input_space
    from hsjp_mmpose.jigsaw import permutation_from_keypoints
    model, dataset = _model_and_dataset(cfg, checkpoint, device)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for idx in range(min(num_images, len(dataset))):
        batch = pseudo_collate([dataset[idx]])
        with torch.no_grad():
            sample = model.test_step(batch)[0]
        meta = sample.metainfo
        if 'jigsaw_permutation' not in meta or 'jigsaw_grid' not in meta:
            raise ValueError('the samples carry no jigsaw_permutation / jigsaw_grid: draw '
                             'puzzles with an HSJP config (its RandomJigsaw packs them)')
        grid = tuple(meta['jigsaw_grid'])
        keypoints = to_input_space(np.asarray(sample.pred_instances.keypoints)[0], meta)
        predicted = permutation_from_keypoints(keypoints, grid, meta['input_size'])
        image = batch['inputs'][0].numpy().transpose(1, 2, 0)
        panel = draw_jigsaw_panel(image, grid, meta['jigsaw_permutation'], predicted,
                                  channel_order='bgr', scale=2)
        path = out_dir / f'puzzle_{idx}.png'
        cv2.imwrite(str(path), cv2.cvtColor(panel, cv2.COLOR_RGB2BGR))
        paths.append(str(path))
    return paths


def render_skeletons(cfg, checkpoint: str, out_dir: Union[str, Path], num_images: int = 4,
                     kpt_thr: float = 0.1, device: str = 'cpu') -> List[str]:
    """The skeleton ``MMPoseInferencer`` predicts and draws on the photos of the first
    ``num_images`` people of ``cfg``'s val loader (the whole photo as the person's box,
    ``det_model='whole_image'``: no detector to download), one picture each in
    ``out_dir``."""
    from mmpose.apis import MMPoseInferencer
    from mmpose.registry import DATASETS
    from mmpose.utils import register_all_modules
    register_all_modules()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config_file = out_dir / 'model_config.py'
    cfg.dump(str(config_file))
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, pipeline=[]))
    images = list(dict.fromkeys(dataset.get_data_info(i)['img_path']
                                for i in range(len(dataset))))[:num_images]
    inferencer = MMPoseInferencer(pose2d=str(config_file), pose2d_weights=str(checkpoint),
                                  det_model='whole_image', device=device)
    paths = []
    for image in images:
        list(inferencer(image, vis_out_dir=str(out_dir), kpt_thr=kpt_thr, radius=2,
                        thickness=1))
        paths.append(str(out_dir / Path(image).name))
    return paths
