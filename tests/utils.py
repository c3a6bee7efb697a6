# Copyright (c) hsjp-mmpose contributors.
"""Helpers shared by the tests: running the real command-line tools, the tiny config on a
tiny generated data set."""
import copy
import logging
import os
import subprocess
from pathlib import Path
from typing import List, Optional

from hsjp_mmpose.experiments.mim import mim_executable

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_command(args: List[str], cwd: Optional[Path] = None, timeout: int = 600,
                env: Optional[dict] = None, check: bool = True
                ) -> subprocess.CompletedProcess:
    """Run a command, returning its output; on failure raise with the output shown."""
    full_env = dict(os.environ)
    full_env.setdefault('OMP_NUM_THREADS', '2')
    full_env['PYTHONUNBUFFERED'] = '1'
    if env:
        full_env.update(env)
    proc = subprocess.run(args, cwd=str(cwd or REPO_ROOT), env=full_env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'command failed with exit code {proc.returncode}: '
                             f'{" ".join(map(str, args))}\n--- output ---\n{proc.stdout[-8000:]}')
    return proc


def run_mim(args: List[str], **kwargs) -> subprocess.CompletedProcess:
    """``mim <args>``, e.g. ``run_mim(['train', 'mmpose', cfg, '--work-dir', d])``."""
    return run_command([mim_executable(), *map(str, args)], **kwargs)


# --- a tiny generated data set and the tiny config (patches, hooks and fault tests) ---

TINY_CONFIG = REPO_ROOT / 'tests' / 'data' / 'configs' / 'td-hm_res18-tiny_1xb8-2e_synthetic-128x96.py'
TRAIN_ANN = 'annotations/person_keypoints_train.json'


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
