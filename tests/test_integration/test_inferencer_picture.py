# Copyright (c) hsjp-mmpose contributors.
"""A photo in, a skeleton out: ``MMPoseInferencer`` writes the picture with the predicted
keypoints and skeleton for the plugin's models, offline (no detector, no download)."""
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch

from hsjp_mmpose import patches
from tests.utils import REPO_ROOT

pytestmark = pytest.mark.integration

CONFIGS = {
    'heatmap': REPO_ROOT / 'configs/location_free/td-hm_res18-half_1xb32-12e_synthetic-128x96.py',
    'location_free':
        REPO_ROOT / 'configs/location_free/locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py',
    'lsp_heatmap':
        REPO_ROOT / 'configs/finetune/td-hm_res18-half_scratch_1xb32-50e_lsp-128x128.py',
}
PHOTO = REPO_ROOT.parent / 'shared' / 'data' / 'lsp-extended' / 'images' / 'im00001.jpg'


def _checkpoint(config: Path, out: Path) -> Path:
    """The config's model with its initial weights, saved as training would save it."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.apis.inference import dataset_meta_from_config
    from mmpose.registry import MODELS

    import hsjp_mmpose  # noqa: F401  (as the config's custom_imports does)
    cfg = Config.fromfile(str(config))
    init_default_scope('mmpose')
    cfg.model.backbone.pop('init_cfg', None)  # no download
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = out / 'epoch_1.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': dataset_meta_from_config(cfg, 'train')}}, path)
    return path


@pytest.fixture(scope='module', params=list(CONFIGS))
def inferencer(request, tmp_path_factory):
    config = CONFIGS[request.param]
    if not config.is_file():
        pytest.skip(f'{config.relative_to(REPO_ROOT)} not in this checkout')
    from mmpose.apis import MMPoseInferencer
    checkpoint = _checkpoint(config, tmp_path_factory.mktemp(request.param))
    # det_model='whole_image': the person box is the whole picture (no detector download)
    return MMPoseInferencer(pose2d=str(config), pose2d_weights=str(checkpoint),
                            det_model='whole_image', device='cpu')


@pytest.fixture(params=['lsp_photo', 'generated'])
def picture(request, tiny_coco_source) -> Path:
    if request.param == 'lsp_photo':
        if not PHOTO.is_file():
            pytest.skip(f'LSP Extended photo not found at {PHOTO} (the generated-person '
                        'picture is tested instead)')
        return PHOTO
    return sorted((tiny_coco_source / 'images' / 'val').glob('*.jpg'))[0]


def _draw(inferencer, picture: Path, out_dir: Path) -> dict:
    # kpt_thr=-inf: untrained weights give low scores; draw every predicted keypoint
    results = list(inferencer(str(picture), vis_out_dir=str(out_dir), kpt_thr=-np.inf,
                              return_vis=True))
    assert len(results) == 1
    return results[0]


def test_inferencer_writes_the_skeleton_picture(inferencer, picture, tmp_path):
    result = _draw(inferencer, picture, tmp_path)
    written = tmp_path / picture.name
    assert written.is_file()
    photo = mmcv.imread(str(picture), channel_order='rgb')
    drawn = mmcv.imread(str(written), channel_order='rgb')
    assert drawn.shape == photo.shape

    visualization = result['visualization'][0]  # the picture before JPEG encoding
    changed = (visualization != photo).any(-1)
    keypoints = np.array(result['predictions'][0][0]['keypoints'])
    num_keypoints = inferencer.inferencer.model.dataset_meta['num_keypoints']
    assert keypoints.shape == (num_keypoints, 2)
    h, w = photo.shape[:2]
    inside = [(int(x), int(y)) for x, y in keypoints if 0 <= x < w and 0 <= y < h]
    assert inside, 'no predicted keypoint inside the picture'
    for x, y in inside:  # a keypoint circle at each predicted keypoint
        assert changed[y, x], (x, y)
    # ... and in the written file, beyond JPEG's noise
    assert np.abs(drawn.astype(int) - photo.astype(int))[changed].max() > 60


def test_stock_mmpose_draws_no_picture(tmp_path, tiny_coco_source):
    """The failure the patch mends, through the inferencer (HeatmapHead model)."""
    from mmpose.apis import MMPoseInferencer
    checkpoint = _checkpoint(CONFIGS['heatmap'], tmp_path)
    inferencer = MMPoseInferencer(pose2d=str(CONFIGS['heatmap']),
                                  pose2d_weights=str(checkpoint), det_model='whole_image',
                                  device='cpu')
    picture = sorted((tiny_coco_source / 'images' / 'val').glob('*.jpg'))[0]
    try:
        patches.install({patches.DISABLE_ENV: 'visualizer_numpy2'})
        if np.lib.NumpyVersion(np.__version__) >= '2.4.0':
            with pytest.raises(TypeError, match='only 0-dimensional arrays'):
                _draw(inferencer, picture, tmp_path / 'stock')
            assert not (tmp_path / 'stock' / picture.name).exists()
    finally:
        patches.install({})
    _draw(inferencer, picture, tmp_path / 'patched')
    assert (tmp_path / 'patched' / picture.name).is_file()
