# Copyright (c) hsjp-mmpose contributors.
"""(d) A fine-tuning config whose pretrained checkpoint has other shapes (a final layer
with 4 output channels where the head has 17, a backbone of another width) or none of the
expected keys: the message names the checkpoint, the keys, both shapes and how to mend it."""
import copy
from types import SimpleNamespace

import pytest
import torch

from hsjp_mmpose.engine.backbone_export import extract_transfer_state_dict
from hsjp_mmpose.engine.hooks import PretrainedInitCheckHook
from tests.test_engine.engine_helpers import ListLogger, build_tiny_model, tiny_model_cfg
from tests.utils import tiny_runner_cfg


def save_tensors(model_or_state, path) -> str:
    """A tensors-only checkpoint (loads under PyTorch's ``weights_only`` rules)."""
    state = model_or_state if isinstance(model_or_state, dict) else model_or_state.state_dict()
    torch.save({'state_dict': state}, str(path))
    return str(path)


def finetune_head_init(checkpoint: str) -> list:
    """The head's init_cfg of configs/finetune/*hsjp-init*: default init, then Pretrained."""
    return [dict(type='Normal', layer=['Conv2d', 'ConvTranspose2d'], std=0.001),
            dict(type='Constant', layer='BatchNorm2d', val=1),
            dict(type='Pretrained', checkpoint=checkpoint, prefix='head.')]


def fake_runner(model):
    return SimpleNamespace(model=model, logger=ListLogger(), _resume=False, _load_from=None)


def build_finetune_model(checkpoint: str):
    """The tiny 17-keypoint model whose backbone and head load ``checkpoint``."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    cfg = tiny_model_cfg(num_keypoints=17, backbone_init_cfg=dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))
    cfg['head']['init_cfg'] = finetune_head_init(checkpoint)
    torch.manual_seed(3)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def four_keypoint_checkpoint(tmp_path_factory):
    """A whole model trained for 4 keypoints (e.g. a 2x2 jigsaw pretext)."""
    folder = tmp_path_factory.mktemp('mismatch')
    return save_tensors(build_tiny_model(seed=1, num_keypoints=4), folder / 'k4_epoch_8.pth')


def test_final_layer_with_other_channels_named_with_shapes(four_keypoint_checkpoint):
    model = build_finetune_model(four_keypoint_checkpoint)
    runner = fake_runner(model)
    PretrainedInitCheckHook().before_train(runner)  # warns, does not raise
    backbone_report, head_report = runner.logger.lines
    assert 'model.backbone (ResNet): 120/120 tensors loaded' in backbone_report
    assert head_report in runner.logger.warnings
    assert f'model.head (HeatmapHead): 18/20 tensors loaded from {four_keypoint_checkpoint}' \
        in head_report
    assert 'not equal to the checkpoint (shape mismatch or overwritten) (2): ' \
           'final_layer.weight, final_layer.bias' in head_report  # the line kept from before
    assert f'shape mismatch in {four_keypoint_checkpoint}, not loaded, kept their own ' \
           'initialisation (2):' in head_report
    assert 'final_layer.weight: checkpoint (4, 16, 1, 1), module (17, 16, 1, 1)' in head_report
    assert 'final_layer.bias: checkpoint (4,), module (17,)' in head_report
    assert "How to mend it: the checkpoint's final layer has 4 output channels and this " \
           "module's 17" in head_report
    assert 'transfer.pth leaves out head.final_layer' in head_report
    # The deconvolutions did load; the final layer kept its own initialisation.
    source = torch.load(four_keypoint_checkpoint, weights_only=True)['state_dict']
    assert torch.equal(model.head.deconv_layers[0].weight, source['head.deconv_layers.0.weight'])


def test_transfer_checkpoint_mends_it(four_keypoint_checkpoint, tmp_path):
    # The mend the message gives: a checkpoint without head.final_layer.
    transfer = save_tensors(extract_transfer_state_dict(
        torch.load(four_keypoint_checkpoint, weights_only=True)), tmp_path / 'transfer.pth')
    runner = fake_runner(build_finetune_model(transfer))
    PretrainedInitCheckHook().before_train(runner)
    assert not runner.logger.warnings
    assert 'missing in the checkpoint (2): final_layer.weight, final_layer.bias (the ' \
           'task-specific final layer' in runner.logger.text


def test_backbone_of_other_width_raises_through_runner(tiny_coco, tmp_path):
    """Every tensor of another shape: mmengine only logs the size mismatches; the hook
    stops the run before training starts from random weights."""
    from mmengine.runner import Runner
    from mmpose.registry import MODELS
    wide_cfg = tiny_model_cfg()
    wide_cfg['backbone'].update(base_channels=16, stem_channels=16)
    wide_cfg['head']['in_channels'] = 128
    wide = MODELS.build(wide_cfg)  # untrained: num_batches_tracked == 0 as in the model
    checkpoint = save_tensors(wide, tmp_path / 'wide.pth')
    cfg = tiny_runner_cfg(tiny_coco, tmp_path / 'work', max_epochs=1, **{
        'backbone.init_cfg': dict(type='Pretrained', checkpoint=checkpoint,
                                  prefix='backbone.')})
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError) as error:
        runner.train()
    message = str(error.value)
    assert 'model.backbone (ResNet): init_cfg=' in message
    assert f'loaded no tensor from {checkpoint}' in message
    assert 'How to mend it: the names match but 100 of the 120 tensors have other shapes' \
        in message
    assert 'conv1.weight: checkpoint (16, 3, 7, 7), module (8, 3, 7, 7)' in message
    assert 'bn1.weight: checkpoint (16,), module (8,)' in message
    assert "set prefix='backbone.'" not in message  # the prefix is right; the width is not
    assert not list((tmp_path / 'work').glob('*.pth'))


def test_no_expected_key_still_raises(tmp_path):
    checkpoint = save_tensors({'something.else': torch.zeros(3)}, tmp_path / 'other.pth')
    model = build_tiny_model(seed=2, backbone_init_cfg=dict(type='Pretrained',
                                                            checkpoint=checkpoint))
    with pytest.raises(RuntimeError, match=f'loaded no tensor from {checkpoint}'):
        PretrainedInitCheckHook().before_train(fake_runner(model))
