# Copyright (c) hsjp-mmpose contributors.
"""Shared fixtures: tiny generated data sets and the real test images."""
import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The small real data sets that MMPose's own test suite uses, kept beside the checkout.
# They are optional: tests that need them skip with a message when the folder is absent.
REAL_DATA_ROOT = Path(os.environ.get('HSJP_REAL_DATA',
                                     REPO_ROOT.parent / 'shared' / 'data' / 'real'))
# Leeds Sports Pose Extended as published (joints.mat 14 x 3 x 10000, images/im00001.jpg
# ... im10000.jpg); optional like the folder above.
LSP_DATA_ROOT = Path(os.environ.get('HSJP_LSP_DATA',
                                    REPO_ROOT.parent / 'shared' / 'data' / 'lsp-extended'))


@pytest.fixture(scope='session')
def synthetic_coco(tmp_path_factory) -> Path:
    """A tiny generated COCO-keypoint data set: 24 train and 8 val images, seed 0.

    Layout: ``images/{train,val}/*.jpg`` and
    ``annotations/person_keypoints_{train,val}.json``.
    """
    from hsjp_mmpose.synthetic import generate_synthetic_coco
    out = tmp_path_factory.mktemp('synthetic_coco')
    generate_synthetic_coco(out, num_train=24, num_val=8, seed=0)
    return out


@pytest.fixture(scope='session')
def real_coco_dir() -> Path:
    """``shared/data/real/coco`` (MMPose's test COCO images), or skip."""
    path = REAL_DATA_ROOT / 'coco'
    if not path.is_dir():
        pytest.skip(f'real COCO test data not found at {path} '
                    '(set HSJP_REAL_DATA to the folder holding coco/)')
    return path


@pytest.fixture(scope='session')
def lsp_extended_dir() -> Path:
    """The published LSP Extended folder (``joints.mat``, ``images/``), or skip."""
    if not (LSP_DATA_ROOT / 'joints.mat').is_file() or not (LSP_DATA_ROOT / 'images').is_dir():
        pytest.skip(f'LSP Extended (joints.mat and images/) not found at {LSP_DATA_ROOT} '
                    '(set HSJP_LSP_DATA to the published folder)')
    return LSP_DATA_ROOT


@pytest.fixture(scope='session')
def lsp_extended_converted(lsp_extended_dir, tmp_path_factory) -> Path:
    """:func:`lsp_extended_dir` converted once per session (``convert_lsp``, default
    margin, images linked): ``annotations/lspet_{train,val,test}.json``, ``images``."""
    from hsjp_mmpose.datasets.converters import convert_lsp
    out = tmp_path_factory.mktemp('lsp_extended')
    convert_lsp(lsp_extended_dir, out)
    return out


@pytest.fixture(scope='session')
def tiny_coco_source(tmp_path_factory) -> Path:
    """8 training and 4 validation images of generated people (easy level, seed 0)."""
    from hsjp_mmpose.synthetic import generate_synthetic_coco
    out = tmp_path_factory.mktemp('fault_coco')
    generate_synthetic_coco(out, num_train=8, num_val=4, seed=0, level='easy')
    return out


@pytest.fixture
def tiny_coco(tiny_coco_source, tmp_path) -> Path:
    """A copy of :func:`tiny_coco_source` that the test may change."""
    return Path(shutil.copytree(tiny_coco_source, tmp_path / 'data'))


@pytest.fixture
def mmengine_log():
    """Records what ``print_log(..., logger='current')`` writes during the test."""
    from mmengine.logging import MMLogger

    from tests.utils import RecordingHandler
    logger = MMLogger.get_current_instance()
    handler = RecordingHandler()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
