# Copyright (c) hsjp-mmpose contributors.
"""The 3D pose configs build, and the hsjp-init one loads a 2D HeatmapHead checkpoint."""
import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from tests.utils import REPO_ROOT

POSE3D = REPO_ROOT / 'configs/pose3d'
SCRATCH = POSE3D / 'td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
HSJP_INIT = POSE3D / 'td-3d_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py'
H36M = POSE3D / 'td-3d_hrnet-w32_8xb64-210e_h36m-256x256.py'


@pytest.mark.parametrize('path', [SCRATCH, HSJP_INIT, H36M], ids=lambda p: p.name)
def test_config_builds_a_3d_model(path):
    register_all_modules()
    cfg = Config.fromfile(str(path))
    assert cfg.model.type == 'TopdownPose3DEstimator'
    assert [m.mode for m in cfg.val_evaluator] == ['mpjpe', 'p-mpjpe']
    assert cfg.default_hooks.checkpoint.save_best == 'MPJPE'
    assert cfg.default_hooks.checkpoint.rule == 'less'
    hooks = {hook.type for hook in cfg.custom_hooks}
    assert {'NaNLossGuardHook', 'PretrainedInitCheckHook'} <= hooks
    for pipeline in (cfg.train_pipeline, cfg.val_pipeline):
        assert 'target_img_path' in pipeline[-1].meta_keys
        assert 'GetRootRelativeKeypoints3D' in [step.type for step in pipeline]
    model = MODELS.build(cfg.model)
    assert model.head.num_keypoints == 17


def test_hsjp_init_loads_backbone_and_deconvolutions(tmp_path):
    """transfer.pth of a 2D HeatmapHead model (the puzzle's final layer left out, as
    ExportBackboneHook writes it) initialises all of the 3D model but its final layer."""
    register_all_modules()
    cfg = Config.fromfile(str(SCRATCH))
    source = MODELS.build(dict(
        type='TopdownPoseEstimator', backbone=cfg.model.backbone.to_dict(),
        head=dict(type='HeatmapHead', in_channels=256, out_channels=4,
                  deconv_out_channels=(64, 64, 64), deconv_kernel_sizes=(4, 4, 4))))
    state = {k: v.clone().fill_(0.5) if v.is_floating_point() else v
             for k, v in source.state_dict().items() if not k.startswith('head.final_layer')}
    checkpoint = tmp_path / 'transfer.pth'
    torch.save(dict(state_dict=state), checkpoint)

    cfg = Config.fromfile(str(HSJP_INIT))
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    cfg.model.head.init_cfg[2].checkpoint = str(checkpoint)
    model = MODELS.build(cfg.model)
    model.init_weights()
    loaded = model.state_dict()
    for key, value in state.items():
        if value.is_floating_point():
            assert torch.all(loaded[key] == 0.5), key
    assert not torch.all(loaded['head.final_layer.weight'] == 0.5)
