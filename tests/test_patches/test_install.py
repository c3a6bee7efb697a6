# Copyright (c) hsjp-mmpose contributors.
"""hsjp_mmpose.patches: one list, install / uninstall / idempotence, the environment switch,
and that a patch switched off really leaves the stock behaviour."""
import os
import subprocess
import sys

import pytest
from mmengine.dist import utils as dist_utils
from mmengine.model.wrappers.distributed import MMDistributedDataParallel
from mmengine.runner.checkpoint import CheckpointLoader
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.datasets.transforms import LoadImage
from mmpose.visualization import PoseLocalVisualizer
from mmpose.visualization.opencv_backend_visualizer import OpencvBackendVisualizer

import hsjp_mmpose  # noqa: F401  (installs the patches)
from hsjp_mmpose import patches
from hsjp_mmpose.patches.data_errors import AnnotationFileError, AnnotationFileNotFoundError
from tests.utils import REPO_ROOT, build_dataset, dataset_cfg


def _upstream_functions():
    """Every upstream attribute a patch replaces, by identity."""
    return {
        'load_checkpoint': CheckpointLoader.__dict__['load_checkpoint'].__func__,
        **{name: getattr(dist_utils, name)
           for name in ('_init_dist_pytorch', '_init_dist_slurm', '_init_dist_mpi')},
        'ddp_init': MMDistributedDataParallel.__init__,
        'load_image': LoadImage.__dict__['transform'],
        'load_annotations': BaseCocoStyleDataset.__dict__['_load_annotations'],
        'load_data_list': BaseCocoStyleDataset.__dict__['load_data_list'],
        'draw_circles': OpencvBackendVisualizer.__dict__['draw_circles'],
        **{name: PoseLocalVisualizer.__dict__[name]
           for name in ('_draw_instances_kpts', '_draw_instances_kpts_openpose')},
    }


@pytest.fixture
def restore_patches():
    """Put every patch back in place after the test (they are process-wide)."""
    yield
    for patch in patches.PATCHES:
        patch.install()
    assert patches.installed() == list(patches.PATCH_NAMES)


def test_import_installs_every_patch():
    assert patches.installed() == ['checkpoint_loading', 'cpu_distributed', 'data_errors',
                                   'visualizer_numpy2']
    assert patches.PATCH_NAMES == tuple(patches.installed())
    for patch in patches.PATCHES:
        assert patch.changes and patch.why


def test_install_uninstall_and_idempotence(restore_patches):
    patched = _upstream_functions()
    assert patches.install({}) == list(patches.PATCH_NAMES)
    assert _upstream_functions() == patched  # installing again wraps nothing twice

    patches.uninstall()
    assert patches.installed() == []
    stock = _upstream_functions()
    assert all(stock[name] is not patched[name] for name in stock), 'something stayed patched'
    assert not any(getattr(fn, '_hsjp_patched', False) or getattr(fn, '_hsjp_data_checks', False)
                   or getattr(fn, '_hsjp_cpu_distributed', False)
                   or getattr(fn, '_hsjp_visualizer_numpy2', False) for fn in stock.values())
    patches.uninstall()
    assert _upstream_functions() == stock  # undoing twice is a no-op

    patches.install({})
    reinstalled = _upstream_functions()
    assert patches.installed() == list(patches.PATCH_NAMES)
    for name in stock:  # the wrappers wrap the stock functions, once
        wrapped = getattr(reinstalled[name], '_hsjp_original', None) or \
            reinstalled[name].__wrapped__
        assert wrapped is stock[name], name


@pytest.mark.parametrize('value, off', [
    ('', []),
    ('data_errors', ['data_errors']),
    (' checkpoint_loading , cpu_distributed ', ['checkpoint_loading', 'cpu_distributed']),
    ('visualizer_numpy2', ['visualizer_numpy2']),
    ('all', ['checkpoint_loading', 'cpu_distributed', 'data_errors', 'visualizer_numpy2']),
])
def test_environment_switch(value, off, restore_patches):
    environ = {patches.DISABLE_ENV: value}
    assert sorted(patches.disabled_patches(environ)) == off
    applied = patches.install(environ)
    assert applied == [name for name in patches.PATCH_NAMES if name not in off]
    assert patches.installed() == applied


def test_unknown_patch_name_is_refused():
    with pytest.raises(ValueError) as error:
        patches.disabled_patches({patches.DISABLE_ENV: 'data_errors,checkpoints'})
    message = str(error.value)
    assert "HSJP_MMPOSE_DISABLE_PATCHES='data_errors,checkpoints'" in message
    assert "['checkpoints']" in message and "'checkpoint_loading'" in message


def test_disabled_data_errors_gives_stock_errors(tiny_coco, restore_patches):
    cfg = dataset_cfg(tiny_coco, 'annotations/person_keypoints_nope.json')
    with pytest.raises(AnnotationFileNotFoundError):
        build_dataset(cfg)

    patches.install({patches.DISABLE_ENV: 'data_errors'})
    with pytest.raises(AssertionError) as error:
        build_dataset(cfg)
    assert type(error.value) is AssertionError  # MMPose's own, not the plugin's
    assert 'Annotation file' in str(error.value) and 'does not exist' in str(error.value)
    assert not isinstance(error.value, AnnotationFileError)

    # a truncated file: the bare json.JSONDecodeError again
    import json
    text = (tiny_coco / 'annotations/person_keypoints_train.json').read_text()
    (tiny_coco / 'annotations/cut.json').write_text(text[:200])
    with pytest.raises(json.JSONDecodeError) as error:
        build_dataset(dataset_cfg(tiny_coco, 'annotations/cut.json'))
    assert type(error.value) is json.JSONDecodeError


def test_disabled_checkpoint_loading_gives_stock_errors(tmp_path, restore_patches):
    import torch
    from mmengine.runner.checkpoint import _load_checkpoint

    from hsjp_mmpose.patches.checkpoint_loading import CorruptCheckpointError
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'w': torch.ones(4, 4)}}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CorruptCheckpointError):
        _load_checkpoint(str(path), map_location='cpu')
    patches.install({patches.DISABLE_ENV: 'checkpoint_loading'})
    with pytest.raises(RuntimeError) as error:
        _load_checkpoint(str(path), map_location='cpu')
    assert type(error.value) is RuntimeError
    assert 'PytorchStreamReader' in str(error.value)


def test_environment_variable_at_import(tiny_coco):
    """The variable as users set it, read by ``import hsjp_mmpose`` in a new process."""
    code = (
        'import sys, hsjp_mmpose\n'
        'from hsjp_mmpose import patches\n'
        'from tests.utils import build_dataset, dataset_cfg\n'
        'print("installed:", ",".join(patches.installed()))\n'
        'try:\n'
        '    build_dataset(dataset_cfg(sys.argv[1], "annotations/nope.json"))\n'
        'except Exception as e:\n'
        '    print("raised:", type(e).__module__, type(e).__name__)\n')
    env = dict(os.environ, HSJP_MMPOSE_DISABLE_PATCHES='data_errors,cpu_distributed',
               PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run([sys.executable, '-c', code, str(tiny_coco)], cwd=str(REPO_ROOT),
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'installed: checkpoint_loading,visualizer_numpy2\n' in proc.stdout, \
        proc.stdout + proc.stderr
    assert 'raised: builtins AssertionError' in proc.stdout, proc.stdout + proc.stderr
