# Copyright (c) hsjp-mmpose contributors.
"""Distributed training (``--launcher pytorch`` / ``slurm`` / ``mpi``) on machines without CUDA.

mmengine 0.10.7 assumes a CUDA device in two places that every distributed run goes
through, so a CPU-only launch (the ``gloo`` backend: laptops, CI, or a GPU box with
``CUDA_VISIBLE_DEVICES=-1``) fails in every rank:

1. ``mmengine.dist.utils._init_dist_pytorch`` (and ``_init_dist_slurm``, ``_init_dist_mpi``)
   call ``torch.cuda.set_device(local_rank)`` unconditionally ->
   ``RuntimeError: Found no NVIDIA driver``. MMPose's ``default_runtime.py`` also asks for
   ``env_cfg.dist_cfg.backend='nccl'``, which needs CUDA.
2. ``Runner.wrap_model`` builds ``MMDistributedDataParallel(device_ids=[LOCAL_RANK])`` (also
   when a ``model_wrapper_cfg`` names a ``DistributedDataParallel`` subclass), and PyTorch's
   DDP rejects ``device_ids`` for a module whose parameters are on the CPU.

The patch (:func:`patch_cpu_distributed`, applied by ``import hsjp_mmpose``, i.e. by
``custom_imports`` when the config is read, before ``Runner.__init__`` initialises the
process group) wraps, without editing mmengine's files:

- the three ``mmengine.dist.utils._init_dist_*`` functions (module attributes that
  ``mmengine.dist.init_dist`` looks up when it is called). Each wrapper decides when it is
  called: if CUDA (or an MLU / NPU / MUSA device, which mmengine handles itself) is
  available, mmengine's function runs unchanged. Otherwise a requested ``'nccl'`` backend
  becomes ``'gloo'`` (with a warning in the log) and mmengine's own function runs while
  ``torch.cuda.set_device`` is a no-op; it is restored as soon as the call returns. Every
  other step (environment variables, SLURM host and port, ``init_backend``) is mmengine's.
- ``MMDistributedDataParallel.__init__``: when CUDA is unavailable and every parameter and
  buffer of the wrapped module is on the CPU, ``device_ids`` and ``output_device`` are
  dropped (PyTorch requires them unset for CPU modules); otherwise the arguments pass
  through untouched. This covers ``Runner.wrap_model``'s default wrapper, a
  ``model_wrapper_cfg`` of type ``MMDistributedDataParallel`` (or a subclass), and
  ``MMSeparateDistributedDataParallel``, which builds ``MMDistributedDataParallel`` per
  submodule. (A ``model_wrapper_cfg`` naming PyTorch's plain ``DistributedDataParallel``
  is not covered.)

With CUDA available nothing changes: no CUDA call is made at import time, and each wrapper
hands over to mmengine's code on the first line.

Every wrapper, with or without CUDA, also registers (once) an ``atexit`` handler that
calls ``torch.distributed.destroy_process_group()``: neither mmengine's runner nor MMPose's
``tools/train.py`` destroys the process group, and a gloo process that exits with it alive
aborts now and then during interpreter shutdown (``terminate called without an active
exception``, exit code -6; pytorch/pytorch#190489), which fails a finished ``mim train``.

Not handled: SyncBN (``norm_cfg=dict(type='SyncBN')`` or ``sync_bn='torch'``) works on GPUs
only. In a distributed CPU run PyTorch refuses it when the model is wrapped (``ValueError:
SyncBatchNorm layers only work with GPU modules``; its forward pass would also refuse CPU
tensors), so such runs must use ``BN``. A single-process run (``--launcher none``) is not
affected: mmengine reverts SyncBN to BN there.
"""
import atexit
import contextlib
import functools
import logging
import os
from typing import Callable, Iterator

import torch
from mmengine.dist import utils as dist_utils
from mmengine.logging import print_log
from mmengine.model.wrappers.distributed import MMDistributedDataParallel

__all__ = ['cuda_unavailable', 'cpu_distributed_patched', 'patch_cpu_distributed',
           'unpatch_cpu_distributed']

_PATCHED_FLAG = '_hsjp_cpu_distributed'
_INIT_FUNCTIONS = ('_init_dist_pytorch', '_init_dist_slurm', '_init_dist_mpi')


def cuda_unavailable() -> bool:
    """True when neither CUDA nor another accelerator that mmengine sets up itself
    (MLU, NPU, MUSA) is available: the case in which mmengine would call
    ``torch.cuda.set_device`` and fail."""
    if torch.cuda.is_available():
        return False
    return not (dist_utils.is_mlu_available() or dist_utils.is_npu_available()
                or dist_utils.is_musa_available())


def _launch_rank() -> str:
    """This process's global rank as the launcher (torchrun, SLURM or Open MPI) gives it."""
    for name in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if name in os.environ:
            return os.environ[name]
    return '0'


def _destroy_process_group() -> None:
    """Destroy the default process group, if one is alive (the ``atexit`` handler)."""
    import torch.distributed as torch_dist
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def _destroy_process_group_at_exit() -> None:
    """Register :func:`_destroy_process_group` to run at interpreter exit (once)."""
    atexit.unregister(_destroy_process_group)
    atexit.register(_destroy_process_group)


@contextlib.contextmanager
def _cuda_set_device_skipped() -> Iterator[None]:
    """``torch.cuda.set_device`` does nothing inside the block (CUDA is unavailable there,
    so the real call could only raise)."""
    original = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = original


def _cpu_aware_init(init_fn: Callable) -> Callable:
    """Wrap one of mmengine's ``_init_dist_<launcher>(backend, ...)`` functions."""

    @functools.wraps(init_fn)
    def wrapper(backend, *args, **kwargs):
        _destroy_process_group_at_exit()
        if not cuda_unavailable():
            return init_fn(backend, *args, **kwargs)
        if backend == 'nccl':
            # before the process group exists: every rank would log it, so only rank 0 does
            if _launch_rank() == '0':
                print_log("hsjp_mmpose: CUDA is not available, so the distributed backend "
                          "'nccl' is replaced by 'gloo' (set env_cfg.dist_cfg.backend='gloo' "
                          'to silence this)', logger='current', level=logging.WARNING)
            backend = 'gloo'
        with _cuda_set_device_skipped():
            return init_fn(backend, *args, **kwargs)

    setattr(wrapper, _PATCHED_FLAG, True)
    wrapper._hsjp_original = init_fn
    return wrapper


def _all_on_cpu(module: torch.nn.Module) -> bool:
    tensors = list(module.parameters()) + list(module.buffers())
    return all(t.device.type == 'cpu' for t in tensors)


def _cpu_aware_ddp_init(ddp_init: Callable) -> Callable:
    """Wrap ``MMDistributedDataParallel.__init__`` to drop ``device_ids`` for CPU modules."""

    @functools.wraps(ddp_init)
    def __init__(self, module, *args, **kwargs):
        if (kwargs.get('device_ids') is not None or kwargs.get('output_device') is not None) \
                and not torch.cuda.is_available() and _all_on_cpu(module):
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        ddp_init(self, module, *args, **kwargs)

    setattr(__init__, _PATCHED_FLAG, True)
    __init__._hsjp_original = ddp_init
    return __init__


def patch_cpu_distributed() -> None:
    """Install the wrappers described in the module docstring (idempotent)."""
    for name in _INIT_FUNCTIONS:
        init_fn = getattr(dist_utils, name, None)
        if init_fn is not None and not getattr(init_fn, _PATCHED_FLAG, False):
            setattr(dist_utils, name, _cpu_aware_init(init_fn))
    ddp_init = MMDistributedDataParallel.__init__
    if not getattr(ddp_init, _PATCHED_FLAG, False):
        MMDistributedDataParallel.__init__ = _cpu_aware_ddp_init(ddp_init)


def cpu_distributed_patched() -> bool:
    """Whether mmengine's ``_init_dist_*`` and ``MMDistributedDataParallel.__init__`` are
    the wrapped ones."""
    functions = [getattr(dist_utils, name, None) for name in _INIT_FUNCTIONS]
    functions.append(MMDistributedDataParallel.__init__)
    return all(getattr(fn, _PATCHED_FLAG, False) for fn in functions if fn is not None)


def unpatch_cpu_distributed() -> None:
    """Restore mmengine's own functions (idempotent)."""
    for name in _INIT_FUNCTIONS:
        init_fn = getattr(dist_utils, name, None)
        if getattr(init_fn, _PATCHED_FLAG, False):
            setattr(dist_utils, name, init_fn._hsjp_original)
    ddp_init = MMDistributedDataParallel.__init__
    if getattr(ddp_init, _PATCHED_FLAG, False):
        MMDistributedDataParallel.__init__ = ddp_init._hsjp_original
