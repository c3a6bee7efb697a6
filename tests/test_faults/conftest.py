# Copyright (c) hsjp-mmpose contributors.
"""Fixtures for the fault tests: a tiny generated data set each test may damage."""
import copy
import logging
import shutil
from pathlib import Path

import pytest

TINY_CONFIG = (Path(__file__).resolve().parents[1] / 'data' / 'configs'
               / 'td-hm_res18-tiny_1xb8-2e_synthetic-128x96.py')
TRAIN_ANN = 'annotations/person_keypoints_train.json'


@pytest.fixture(scope='session')
def tiny_coco_source(tmp_path_factory) -> Path:
    """8 training and 4 validation images of generated people (easy level, seed 0)."""
    from hsjp_mmpose.datasets.synthetic import generate_synthetic_coco
    out = tmp_path_factory.mktemp('fault_coco')
    generate_synthetic_coco(out, num_train=8, num_val=4, seed=0, level='easy')
    return out


@pytest.fixture
def tiny_coco(tiny_coco_source, tmp_path) -> Path:
    """A copy of :func:`tiny_coco_source` that the test may change."""
    return Path(shutil.copytree(tiny_coco_source, tmp_path / 'data'))


def dataset_cfg(data_root: Path, ann_file: str = TRAIN_ANN, **overrides) -> dict:
    """The tiny config's training data set (with its real pipeline) on ``data_root``."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(TINY_CONFIG))
    dataset = copy.deepcopy(cfg.train_dataloader.dataset.to_dict())
    dataset.update(data_root=str(data_root) + '/', ann_file=ann_file, **overrides)
    return dataset


def build_dataset(cfg: dict):
    import hsjp_mmpose  # noqa: F401  (as custom_imports does)
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    return DATASETS.build(copy.deepcopy(cfg))


class RecordingHandler(logging.Handler):
    """Collects the messages of the current mmengine logger."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self, level=logging.WARNING):
        return [record.getMessage() for record in self.records if record.levelno >= level]


@pytest.fixture
def mmengine_log():
    """Records what ``print_log(..., logger='current')`` writes during the test."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    handler = RecordingHandler()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def tiny_runner_cfg(data_root: Path, work_dir: Path, max_epochs: int = 3, **model_overrides):
    """The tiny config, training on ``data_root`` (8 images: one iteration per epoch) into
    ``work_dir``, without validation, checkpointing every epoch."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(TINY_CONFIG))
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'faults_{work_dir.parent.name}_{work_dir.name}'
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=0)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1000)
    cfg.train_dataloader.dataset.data_root = str(data_root) + '/'
    cfg.val_dataloader.dataset.data_root = str(data_root) + '/'
    cfg.test_dataloader = cfg.val_dataloader
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1, max_keep_ckpts=-1)
    cfg.merge_from_dict({f'model.{key}': value for key, value in model_overrides.items()})
    return cfg
