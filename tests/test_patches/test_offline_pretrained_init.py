# Copyright (c) hsjp-mmpose contributors.
"""Offline, a config that keeps MMPose's ImageNet ``init_cfg`` URL (the location-free COCO
configs) fails with a message naming the URL and the fix, not a bare ``URLError``."""
import urllib.error

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.patches.checkpoint_loading import CheckpointDownloadError
from tests.utils import REPO_ROOT

LOCFREE_25 = REPO_ROOT / 'configs/location_free/locfree_hrnet-w32_8xb64-210e_coco-loc25-256x192.py'


def test_locfree_config_offline_names_url_and_fix(offline):
    from mmpose.registry import MODELS
    cfg = Config.fromfile(str(LOCFREE_25))
    url = cfg.model.backbone.init_cfg.checkpoint
    assert url.startswith('https://'), url  # MMPose's ImageNet weights
    init_default_scope('mmpose')
    backbone = MODELS.build(cfg.model.backbone)  # HRNet-W32 with the config's init_cfg
    with pytest.raises(urllib.error.URLError) as error:
        backbone.init_weights()  # what Runner.train() does first, through the model
    assert type(error.value) is CheckpointDownloadError
    message = str(error.value)
    assert message.startswith(f'Could not download checkpoint {url}: ')
    assert 'model.backbone.init_cfg.checkpoint=/path/to/file.pth' in message
    assert '--cfg-options model.backbone.init_cfg=None' in message
