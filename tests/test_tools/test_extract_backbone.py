# Copyright (c) hsjp-mmpose contributors.
import runpy
import sys

import pytest
import torch

from tests.test_engine.engine_helpers import build_tiny_model, save_training_checkpoint
from ..utils import REPO_ROOT, run_command

SCRIPT = REPO_ROOT / 'tools' / 'extract_backbone.py'


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    model = build_tiny_model(seed=1)
    src = tmp_path_factory.mktemp('extract_cli') / 'epoch_1.pth'
    save_training_checkpoint(model, str(src))
    return model, src


@pytest.fixture(scope='module')
def main():
    """The script's ``main(argv)``, run in this process."""
    return runpy.run_path(str(SCRIPT))['main']


def test_extract_backbone_command_line(trained, tmp_path):
    model, src = trained
    dst = tmp_path / 'out' / 'backbone.pth'
    # A fresh process: nothing but the script sets up checkpoint loading.
    proc = run_command([sys.executable, str(SCRIPT), str(src), str(dst)])
    num = len(model.backbone.state_dict())
    assert f'wrote {dst}: {num} tensors' in proc.stdout
    loaded = torch.load(dst, map_location='cpu', weights_only=True)['state_dict']
    for name, tensor in model.backbone.state_dict().items():
        assert torch.equal(loaded[name], tensor), name


def test_extract_other_prefix(trained, tmp_path, main, capsys):
    model, src = trained
    dst = tmp_path / 'head.pth'
    assert main([str(src), str(dst), '--prefix', 'head']) == 0
    assert f'{len(model.head.state_dict())} tensors' in capsys.readouterr().out
    assert set(torch.load(dst, weights_only=True)['state_dict']) == set(model.head.state_dict())


def test_wrong_prefix_or_file_exits_with_message(trained, tmp_path, main, capsys):
    _, src = trained
    dst = tmp_path / 'b.pth'
    assert main([str(src), str(dst), '--prefix', 'encoder.']) == 1
    err = capsys.readouterr().err
    assert f"error: no tensor whose name starts with 'encoder.' in {src}" in err
    assert 'backbone.' in err and not dst.exists()

    assert main([str(tmp_path / 'missing.pth'), str(dst)]) == 1
    assert 'missing.pth' in capsys.readouterr().err
