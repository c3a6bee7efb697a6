# Copyright (c) hsjp-mmpose contributors.
from types import SimpleNamespace

import pytest
import torch

from hsjp_mmpose.engine.backbone_export import export_backbone, save_backbone_checkpoint
from hsjp_mmpose.engine.hooks import PretrainedInitCheckHook
from tests.test_engine.engine_helpers import ListLogger, build_tiny_model, save_training_checkpoint


def fake_runner(model, resume=False, load_from=None):
    """What the hook reads of a Runner in ``before_train``."""
    return SimpleNamespace(model=model, logger=ListLogger(), _resume=resume,
                           _load_from=load_from)


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """A whole-model mmengine checkpoint and its exported backbone."""
    folder = tmp_path_factory.mktemp('init_check')
    full, backbone = folder / 'epoch_1.pth', folder / 'backbone.pth'
    save_training_checkpoint(build_tiny_model(seed=1), str(full))
    export_backbone(str(full), str(backbone))
    return full, backbone


def test_reports_count_when_backbone_loaded(checkpoints):
    _, backbone = checkpoints
    model = build_tiny_model(
        seed=2, backbone_init_cfg=dict(type='Pretrained', checkpoint=str(backbone)))
    runner = fake_runner(model)
    PretrainedInitCheckHook().before_train(runner)
    num = len(model.backbone.state_dict())
    assert f'model.backbone (ResNet): {num}/{num} tensors loaded from {backbone}' \
        in runner.logger.text
    assert 'missing' not in runner.logger.text and not runner.logger.warnings


def test_warns_about_partial_load(checkpoints, tmp_path):
    _, backbone = checkpoints
    state = torch.load(backbone, weights_only=True)['state_dict']
    del state['layer4.1.bn2.bias']
    state['conv1.weight'] = state['conv1.weight'][:4]  # another width
    state['fc.weight'] = torch.zeros(2, 2)
    partial = tmp_path / 'partial.pth'
    save_backbone_checkpoint(state, str(partial))
    model = build_tiny_model(
        seed=2, backbone_init_cfg=dict(type='Pretrained', checkpoint=str(partial)))
    runner = fake_runner(model)
    PretrainedInitCheckHook().before_train(runner)
    num = len(model.backbone.state_dict())
    report, = runner.logger.warnings
    assert f'{num - 2}/{num} tensors loaded from {partial}' in report
    assert 'missing in the checkpoint (1): layer4.1.bn2.bias' in report
    assert 'unexpected, not in the module (1): fc.weight' in report
    assert 'overwritten) (1): conv1.weight' in report


def test_reports_prefix_load_from_whole_model_checkpoint(checkpoints):
    full, _ = checkpoints
    model = build_tiny_model(seed=2, backbone_init_cfg=dict(
        type='Pretrained', checkpoint=str(full), prefix='backbone.'))
    runner = fake_runner(model)
    PretrainedInitCheckHook().before_train(runner)
    num = len(model.backbone.state_dict())
    assert f'{num}/{num} tensors loaded from {full} (prefix ' in runner.logger.text
    assert 'unexpected' not in runner.logger.text


def test_raises_when_prefix_sits_on_whole_model(checkpoints):
    full, _ = checkpoints
    # The silent trap: mmengine strips 'backbone.' and then nothing matches.
    model = build_tiny_model(seed=2, init_cfg=dict(
        type='Pretrained', checkpoint=str(full), prefix='backbone.'))
    with pytest.raises(RuntimeError) as error:
        PretrainedInitCheckHook().before_train(fake_runner(model))
    message = str(error.value)
    assert 'loaded no tensor' in message and str(full) in message
    assert 'Move it to the backbone' in message
    assert "model=dict(backbone=dict(init_cfg=dict(type='Pretrained'" in message


def test_raises_when_backbone_file_sits_on_whole_model(checkpoints):
    _, backbone = checkpoints
    model = build_tiny_model(seed=2, init_cfg=dict(type='Pretrained', checkpoint=str(backbone)))
    with pytest.raises(RuntimeError, match='holds model.backbone alone'):
        PretrainedInitCheckHook().before_train(fake_runner(model))


def test_raises_and_suggests_prefix_for_whole_model_checkpoint(checkpoints):
    full, _ = checkpoints
    model = build_tiny_model(
        seed=2, backbone_init_cfg=dict(type='Pretrained', checkpoint=str(full)))
    with pytest.raises(RuntimeError, match="set prefix='backbone.'"):
        PretrainedInitCheckHook().before_train(fake_runner(model))


def test_no_pretrained_init_only_logs():
    runner = fake_runner(build_tiny_model(seed=2))
    PretrainedInitCheckHook().before_train(runner)
    assert 'no module of the model has a Pretrained init_cfg' in runner.logger.text


@pytest.mark.parametrize('resume, load_from', [(True, None), (False, 'epoch_1.pth')])
def test_skipped_when_resuming_or_loading(resume, load_from):
    # The init_cfg points at a file that does not exist: the hook must not read it.
    model = build_tiny_model(seed=2)
    model.backbone.init_cfg = dict(type='Pretrained', checkpoint='/nonexistent/backbone.pth')
    runner = fake_runner(model, resume=resume, load_from=load_from)
    PretrainedInitCheckHook().before_train(runner)
    assert 'not checked' in runner.logger.text


def test_rejects_bad_argument():
    with pytest.raises(ValueError, match='max_keys_shown'):
        PretrainedInitCheckHook(max_keys_shown=0)
