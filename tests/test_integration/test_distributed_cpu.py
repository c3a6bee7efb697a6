# Copyright (c) hsjp-mmpose contributors.
"""``mim train mmpose CFG --launcher pytorch --gpus 2`` on the CPU: two processes, gloo.

mmengine 0.10.7 cannot run this without a GPU (``torch.cuda.set_device`` when the process
group is set up, ``device_ids`` for DistributedDataParallel); ``hsjp_mmpose.patches.cpu_distributed``
handles both. The run below keeps MMPose's default backend ('nccl'), so the plugin must also
switch it to 'gloo'.

Besides the test, this module defines :class:`DistributedProbeHook`: the test config
(``tests/data/configs/td-hm_res18-tiny_2xb4-1e_synthetic-dist-128x96.py``) imports this
module through ``custom_imports`` in every training process, and the hook writes what its
rank saw to ``<work_dir>/dist_probe/rank<N>.json``.
"""
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpose.registry import HOOKS
from tests.utils import REPO_ROOT, run_mim

DIST_CONFIG = REPO_ROOT / 'tests/data/configs/td-hm_res18-tiny_2xb4-1e_synthetic-dist-128x96.py'
NUM_TRAIN, NUM_VAL, WORLD_SIZE = 16, 8, 2

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(280),
    pytest.mark.skipif(not (torch_dist.is_available() and torch_dist.is_gloo_available()),
                       reason='this PyTorch build has no torch.distributed gloo backend, '
                              'which a distributed run on the CPU needs'),
]


@HOOKS.register_module(force=True)
class DistributedProbeHook(Hook):
    """Test instrument: record, per rank, the process group, the model wrapper, the
    annotation ids of the first training epoch's and of the validation's samples, and the
    validation metrics; write them to ``<work_dir>/<out_dir>/rank<N>.json`` after training.
    (Unlike the plugin's hooks, every rank writes: that is the point of it.)"""

    priority = 'LOWEST'

    def __init__(self, out_dir: str = 'dist_probe') -> None:
        self.out_dir = out_dir
        self.record = dict(train_ids=[], val_ids=[], val_metrics=[])

    def before_train(self, runner) -> None:
        rank, world_size = get_dist_info()
        self.record.update(
            rank=rank, world_size=world_size,
            backend=torch_dist.get_backend() if torch_dist.is_initialized() else None,
            model_wrapper=type(runner.model).__name__ if is_model_wrapper(runner.model)
            else None,
            ddp_device_ids=getattr(runner.model, 'device_ids', None))

    @staticmethod
    def _ids(data_batch):
        return [int(sample.metainfo['id']) for sample in data_batch['data_samples']]

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.epoch == 0:
            self.record['train_ids'] += self._ids(data_batch)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.record['val_ids'] += self._ids(data_batch)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.record['val_metrics'].append(
            {key: float(value) for key, value in (metrics or {}).items()})

    def after_train(self, runner) -> None:
        folder = Path(runner.work_dir) / self.out_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f'rank{self.record["rank"]}.json').write_text(json.dumps(self.record))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def tiny_coco(tmp_path_factory) -> Path:
    from hsjp_mmpose.synthetic import generate_synthetic_coco
    out = tmp_path_factory.mktemp('dist_coco')
    generate_synthetic_coco(out, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=0, level='easy')
    return out


def _annotations(data_root: Path, split: str) -> dict:
    return json.loads((data_root / f'annotations/person_keypoints_{split}.json').read_text())


def _annotation_ids(data_root: Path, split: str) -> set:
    return {ann['id'] for ann in _annotations(data_root, split)['annotations']}


def _image_ids(data_root: Path, split: str) -> set:
    return {image['id'] for image in _annotations(data_root, split)['images']}


def test_two_process_gloo_training_on_cpu(tiny_coco, tmp_path):
    work_dir = tmp_path / 'work'
    root = tiny_coco.resolve()
    options = [f'{loader}.dataset.data_root={root}/'
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    # CocoMetric writes the predictions it evaluated (in compute_metrics, rank 0 only)
    options.append(f'val_evaluator.0.outfile_prefix={work_dir / "val_results"}')
    env = dict(
        # the trainers import this module (custom_imports) as tests.test_integration...
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                 os.environ.get('PYTHONPATH')])),
        OMP_NUM_THREADS='1',  # two processes on two cores
        CUDA_VISIBLE_DEVICES='',  # a CPU run even where a GPU is present
    )
    if 'GLOO_SOCKET_IFNAME' not in os.environ and Path('/sys/class/net/lo').exists():
        env['GLOO_SOCKET_IFNAME'] = 'lo'  # single machine: stay on the loopback device

    # the command users run on 8 GPUs, with 2 processes; cwd: mmengine's result collection
    # leaves a .dist_test folder in the working directory
    proc = run_mim(['train', 'mmpose', DIST_CONFIG, '--launcher', 'pytorch',
                    '--gpus', str(WORLD_SIZE), '--port', str(_free_port()),
                    '--work-dir', work_dir, '--cfg-options', *options],
                   cwd=tmp_path, env=env, timeout=240)
    out = proc.stdout

    # --- the plugin set the run up for the CPU
    assert out.count("the distributed backend 'nccl' is replaced by 'gloo'") == 1, out[-5000:]
    records = {}
    for rank in range(WORLD_SIZE):
        path = work_dir / 'dist_probe' / f'rank{rank}.json'
        assert path.is_file(), f'rank {rank} wrote no probe record\n{out[-5000:]}'
        records[rank] = json.loads(path.read_text())
    for rank, record in records.items():
        assert record['rank'] == rank and record['world_size'] == WORLD_SIZE
        assert record['backend'] == 'gloo'
        assert record['model_wrapper'] == 'MMDistributedDataParallel'
        assert record['ddp_device_ids'] is None

    # --- the ranks trained on different samples that together make up the training set
    train_ids = [records[rank]['train_ids'] for rank in range(WORLD_SIZE)]
    assert all(len(ids) == NUM_TRAIN // WORLD_SIZE for ids in train_ids), train_ids
    assert not set(train_ids[0]) & set(train_ids[1]), train_ids
    assert set(train_ids[0]) | set(train_ids[1]) == _annotation_ids(root, 'train')

    # --- validation: each rank ran half of the set, the metric was computed once over all
    val_ids = [records[rank]['val_ids'] for rank in range(WORLD_SIZE)]
    assert all(len(ids) == NUM_VAL // WORLD_SIZE for ids in val_ids), val_ids
    assert not set(val_ids[0]) & set(val_ids[1]), val_ids
    assert set(val_ids[0]) | set(val_ids[1]) == _annotation_ids(root, 'val')
    assert out.count('Evaluating CocoMetric') == 1, out[-5000:]
    assert len(re.findall(r'Epoch\(val\).*coco/AP: \d', out)) == 1, out[-5000:]
    predictions = json.loads((work_dir / 'val_results.keypoints.json').read_text())
    assert len(predictions) == NUM_VAL
    assert {p['image_id'] for p in predictions} == _image_ids(root, 'val')
    # one computation, broadcast: both ranks hold the same metrics
    assert records[0]['val_metrics'] == records[1]['val_metrics']
    assert len(records[0]['val_metrics']) == 1 and 'coco/AP' in records[0]['val_metrics'][0]

    # --- the checkpoint (written by rank 0) loads, with the model's own key names
    import hsjp_mmpose  # noqa: F401  (checkpoint loading under weights_only)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner.checkpoint import _load_checkpoint
    from mmpose.registry import MODELS

    checkpoint = _load_checkpoint(str(work_dir / 'epoch_1.pth'), map_location='cpu')
    assert checkpoint['meta']['epoch'] == 1
    assert checkpoint['meta']['iter'] == NUM_TRAIN // (WORLD_SIZE * 4)
    state_dict = checkpoint['state_dict']
    assert not any(key.startswith('module.') for key in state_dict)
    init_default_scope('mmpose')
    model = MODELS.build(Config.fromfile(str(work_dir / DIST_CONFIG.name)).model)
    model.load_state_dict(state_dict, strict=True)

    # --- the plugin's file-writing hook wrote its exports (from rank 0)
    for name in ('backbone.pth', 'transfer.pth', 'backbone_best.pth'):
        assert (work_dir / name).is_file(), name
    assert torch.load(work_dir / 'backbone.pth', map_location='cpu')['state_dict']


def test_patches_leave_gpu_runs_alone(monkeypatch):
    """With CUDA available the wrappers hand mmengine's functions their arguments as given."""
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers.distributed import MMDistributedDataParallel

    from hsjp_mmpose.patches import cpu_distributed as distributed

    for name in ('_init_dist_pytorch', '_init_dist_slurm', '_init_dist_mpi'):
        assert getattr(getattr(dist_utils, name), '_hsjp_cpu_distributed', False), name
    assert getattr(MMDistributedDataParallel.__init__, '_hsjp_cpu_distributed', False)

    calls = []

    def fake_init(backend, init_backend='torch', **kwargs):
        calls.append((backend, torch.cuda.set_device))

    def fake_ddp_init(self, module, **kwargs):
        calls.append(kwargs)

    module = torch.nn.Linear(2, 2)
    real_set_device = torch.cuda.set_device
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    distributed._cpu_aware_init(fake_init)('nccl', init_backend='torch')
    distributed._cpu_aware_ddp_init(fake_ddp_init)(None, module, device_ids=[0])
    assert calls == [('nccl', real_set_device), dict(device_ids=[0])]

    calls.clear()
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    distributed._cpu_aware_init(fake_init)('nccl')
    distributed._cpu_aware_ddp_init(fake_ddp_init)(None, module, device_ids=[0],
                                                   broadcast_buffers=False)
    assert calls[0][0] == 'gloo' and calls[0][1] is not real_set_device
    assert calls[1] == dict(broadcast_buffers=False)
    assert torch.cuda.set_device is real_set_device  # restored after the call


def test_process_group_is_destroyed_at_exit(tmp_path):
    """A gloo process that exits with its process group alive may abort in interpreter
    shutdown; the plugin's init wrapper registers an ``atexit`` destroy. An earlier
    ``atexit`` handler runs after the plugin's (last in, first out) and reports whether the
    group is still alive by then."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    script = tmp_path / 'one_rank.py'
    script.write_text(
        'import atexit, torch.distributed as dist\n'
        'atexit.register(lambda: print("alive at exit:", dist.is_initialized(), flush=True))\n'
        'import hsjp_mmpose  # noqa: F401\n'
        'from mmengine.dist import init_dist\n'
        "init_dist('pytorch', backend='nccl')\n"
        'print("initialised:", dist.is_initialized(), dist.get_backend(), flush=True)\n')
    env = dict(os.environ, RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
               MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run([sys.executable, str(script)], cwd=str(REPO_ROOT), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout
    assert 'initialised: True gloo' in proc.stdout, proc.stdout
    assert 'alive at exit: False' in proc.stdout, proc.stdout
