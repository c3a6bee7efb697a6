# Copyright (c) hsjp-mmpose contributors.
"""tools/visualize_cams.py's library side: a model, a checkpoint, a data set -> CAM grids."""
import cv2
import torch
from mmengine.config import Config

from hsjp_mmpose.visualization.cam import render_dataset_cams
from tests.utils import REPO_ROOT

CONFIG = (REPO_ROOT / 'configs' / 'location_free' /
          'locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py')


def test_render_dataset_cams_writes_one_grid_per_sample(real_coco_dir, tmp_path):
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    cfg.val_dataloader.dataset.update(data_root=str(real_coco_dir) + '/',
                                      ann_file='test_coco.json', data_prefix=dict(img=''))
    checkpoint = tmp_path / 'model.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, checkpoint)

    paths = render_dataset_cams(cfg, str(checkpoint), str(tmp_path / 'vis'), num_images=2)
    assert len(paths) == 2
    grid = cv2.imread(paths[0])
    # 18 tiles (skeleton + 17 keypoints) of 2x the 128x96 input, in rows of 6
    assert grid.shape == (3 * 256, 6 * 192, 3)
