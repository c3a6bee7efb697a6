# Copyright (c) hsjp-mmpose contributors.
import pickle
from contextlib import contextmanager

import pytest
import torch

from hsjp_mmpose.engine.backbone_export import (export_backbone, extract_backbone_state_dict,
                                                save_backbone_checkpoint)
from tests.test_engine.engine_helpers import build_tiny_model, save_training_checkpoint


@contextmanager
def torch_default_allowlist():
    """Only PyTorch's own ``weights_only`` allowlist (hsjp_mmpose.patches.checkpoint_loading extends it)."""
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        yield
    finally:
        torch.serialization.add_safe_globals(saved)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A tiny model and the mmengine checkpoint it was saved to."""
    model = build_tiny_model(seed=1)
    src = tmp_path_factory.mktemp('export') / 'epoch_1.pth'
    save_training_checkpoint(model, str(src))
    return model, src


def test_export_loads_with_plain_weights_only(trained, tmp_path):
    model, src = trained
    dst = tmp_path / 'backbone.pth'
    exported = export_backbone(str(src), str(dst))
    expected = model.backbone.state_dict()
    assert list(exported) == list(expected)

    with torch_default_allowlist():
        # The source needs hsjp_mmpose.patches.checkpoint_loading's allowlist; the export does not.
        with pytest.raises(pickle.UnpicklingError):
            torch.load(src, map_location='cpu', weights_only=True)
        loaded = torch.load(dst, map_location='cpu', weights_only=True)

    assert set(loaded) == {'state_dict', 'meta'}
    assert list(loaded['state_dict']) == list(expected)
    for name, tensor in expected.items():
        assert torch.equal(loaded['state_dict'][name], tensor), name
    meta = loaded['meta']
    assert meta['source'] == str(src)
    assert meta['prefix'] == 'backbone.'
    assert meta['num_tensors'] == len(expected)
    assert meta['epoch'] == 1 and meta['iter'] == 2
    assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())


def test_export_loads_through_pretrained_init(trained, tmp_path):
    model, src = trained
    dst = tmp_path / 'backbone.pth'
    export_backbone(str(src), str(dst))
    fresh = build_tiny_model(
        seed=2, backbone_init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    for name, tensor in model.backbone.state_dict().items():
        assert torch.equal(fresh.backbone.state_dict()[name], tensor), name
    # the head is not in the export: it keeps its own (different) initialisation
    head_name = 'final_layer.weight'
    assert not torch.equal(fresh.head.state_dict()[head_name],
                           model.head.state_dict()[head_name])


def test_extract_accepts_state_dict_and_ddp_prefix():
    weight = torch.arange(6.).reshape(2, 3)
    state = {'module.backbone.conv.weight': weight, 'module.head.fc.weight': torch.ones(1)}
    extracted = extract_backbone_state_dict(state, prefix='backbone')
    assert list(extracted) == ['conv.weight']
    assert torch.equal(extracted['conv.weight'], weight)
    extracted['conv.weight'].add_(1)  # a copy, not a view of the model's tensor
    assert torch.equal(weight, torch.arange(6.).reshape(2, 3))


def test_extract_names_file_and_keys_when_prefix_missing(trained):
    _, src = trained
    from mmengine.runner.checkpoint import _load_checkpoint
    checkpoint = _load_checkpoint(str(src), map_location='cpu')  # mmengine's loader
    with pytest.raises(ValueError) as error:
        extract_backbone_state_dict(checkpoint, prefix='encoder.', source=str(src))
    message = str(error.value)
    assert str(src) in message
    assert "'encoder.'" in message
    assert 'backbone.' in message and 'head.' in message
    with pytest.raises(ValueError, match='prefix'):
        extract_backbone_state_dict(checkpoint, prefix='')


def test_save_rejects_non_tensors_and_keeps_simple_meta(tmp_path):
    with pytest.raises(TypeError, match='tensors only'):
        save_backbone_checkpoint({'a': [1, 2]}, str(tmp_path / 'x.pth'))
    dst = tmp_path / 'sub' / 'b.pth'
    save_backbone_checkpoint({'a': torch.zeros(2)}, str(dst),
                             meta=dict(epoch=torch.tensor(3), note='x', cfg=dict(a=1)))
    with torch_default_allowlist():
        loaded = torch.load(dst, weights_only=True)
    assert loaded['meta'] == {'epoch': 3, 'note': 'x'}
    assert not list(tmp_path.glob('sub/*.tmp*'))
