# Copyright (c) hsjp-mmpose contributors.
"""Helpers for the engine tests: a tiny top-down pose estimator (ResNet-18 layout at 1/8
width), its mmengine checkpoint, and a logger that records what hooks log."""
import copy
from typing import Optional

import numpy as np
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import get_state_dict, save_checkpoint, weights_to_cpu

INPUT_SIZE = (96, 128)  # (w, h): stride 32 gives a 4x3 feature map
HEATMAP_SIZE = (24, 32)  # three 2x deconvolutions


def tiny_model_cfg(num_keypoints: int = 17, init_cfg: Optional[dict] = None,
                   backbone_init_cfg: Optional[dict] = None) -> dict:
    """``TopdownPoseEstimator`` with ResNet-18 (8 base channels) and a HeatmapHead."""
    codec = dict(type='MSRAHeatmap', input_size=INPUT_SIZE, heatmap_size=HEATMAP_SIZE,
                 sigma=1)
    backbone = dict(type='ResNet', depth=18, base_channels=8, stem_channels=8)
    if backbone_init_cfg is not None:
        backbone['init_cfg'] = backbone_init_cfg
    cfg = dict(
        type='TopdownPoseEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=backbone,
        head=dict(type='HeatmapHead', in_channels=64, out_channels=num_keypoints,
                  deconv_out_channels=(16, 16, 16), deconv_kernel_sizes=(4, 4, 4),
                  loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
        test_cfg=dict(flip_test=False))
    if init_cfg is not None:
        cfg['init_cfg'] = init_cfg
    return cfg


def build_tiny_model(seed: int = 0, **kwargs) -> torch.nn.Module:
    """Build :func:`tiny_model_cfg` and initialise its weights (seeded)."""
    import hsjp_mmpose  # noqa: F401  (registers modules; mmpose's too)
    from mmpose.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(tiny_model_cfg(**kwargs)))
    model.init_weights()
    return model


def save_training_checkpoint(model: torch.nn.Module, filename: str) -> None:
    """Save ``model`` as ``Runner.save_checkpoint`` does: meta, state_dict and a message
    hub holding NumPy values (which plain ``weights_only`` loading refuses)."""
    hub = MessageHub.get_instance(f'tiny_ckpt_{id(model)}')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_info('best_score', np.float64(0.25))
    hub.update_info('best_ckpt', 'best_coco_AP_epoch_1.pth')
    checkpoint = dict(
        meta=dict(epoch=1, iter=2, mmengine_version='0.10.7', seed=np.int64(0), cfg='...'),
        state_dict=weights_to_cpu(get_state_dict(model)),
        message_hub=hub.state_dict())
    save_checkpoint(checkpoint, filename)


class ListLogger:
    """Collects what a hook logs; ``warnings`` holds the warnings alone."""

    def __init__(self):
        self.lines, self.warnings = [], []

    def info(self, message):
        self.lines.append(message)

    def warning(self, message):
        self.lines.append(message)
        self.warnings.append(message)

    @property
    def text(self):
        return '\n'.join(self.lines)
