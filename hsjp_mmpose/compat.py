# Copyright (c) hsjp-mmpose contributors.
"""Load mmengine checkpoints under PyTorch's ``weights_only`` rules.

Since PyTorch 2.6, ``torch.load`` defaults to ``weights_only=True``: it unpickles tensors
and a small allowlist of types only. Checkpoints that mmengine 0.10.7 writes also hold its
message hub (``HistoryBuffer``) and NumPy scalars/arrays, so with stock mmengine
``mim test --checkpoint``, ``--resume`` and ``load_from`` fail on checkpoints mmengine
itself wrote.

Importing this module extends the allowlist with exactly those types (all inert data
containers) instead of switching the check off: a checkpoint whose pickle references
anything else (``os.system``, say) is still refused, and the refusal is re-raised as a
:class:`UnsafeCheckpointError` that names the file, the offending global and what to do.
"""
import pickle
from typing import Any, Callable, List, Tuple

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['UnsafeCheckpointError', 'checkpoint_safe_globals', 'register_checkpoint_safe_globals',
           'patch_checkpoint_loader']


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint references objects outside the ``weights_only`` allowlist."""


def _numpy_dtype_classes() -> List[type]:
    """NumPy 2's per-dtype classes (``numpy.dtypes.Float64DType``...), which
    ``BUILD`` instructions in a pickled dtype instantiate."""
    classes = {type(np.dtype(code)) for code in np.typecodes['All'] if code not in 'OV'}
    classes.discard(np.dtype)
    return sorted(classes, key=lambda cls: cls.__name__)


def _numpy_core_name(name: str) -> str:
    """``numpy._core.multiarray.<name>`` under NumPy 2, ``numpy.core...`` under NumPy 1."""
    core = 'numpy._core' if hasattr(np, '_core') else 'numpy.core'
    return f'{core}.multiarray.{name}'


def checkpoint_safe_globals() -> List[Tuple[Callable, str]]:
    """The globals an mmengine checkpoint holds besides tensors, with the pickle names
    under which they appear. Each is a data container or a pure constructor of one."""
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray  # noqa
    safe: List[Tuple[Callable, str]] = [
        (HistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
        (multiarray.scalar, _numpy_core_name('scalar')),
        (multiarray._reconstruct, _numpy_core_name('_reconstruct')),
        (np.ndarray, 'numpy.ndarray'),
        (np.dtype, 'numpy.dtype'),
        # An empty NumPy array pickles its (empty) buffer as bytes().
        (bytes, 'builtins.bytes'),
        # HistoryBuffer pickles its statistics table as getattr(HistoryBuffer, 'mean') etc.
        (_history_buffer_statistic, 'builtins.getattr'),
    ]
    # OrderedDict, Counter and ``_codecs.encode`` (bytes) are on PyTorch's own allowlist.
    safe += [(cls, f'numpy.dtypes.{cls.__name__}') for cls in _numpy_dtype_classes()]
    return safe


def _history_buffer_statistic(owner: Any, name: str) -> Callable:
    """``getattr`` restricted to HistoryBuffer's registered statistics methods."""
    is_history_buffer = owner is HistoryBuffer or isinstance(owner, HistoryBuffer)
    # The table is filled lazily, so the four built-in statistics are named explicitly.
    statistics = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if not (is_history_buffer and name in statistics):
        raise pickle.UnpicklingError(
            f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint: only '
            f'HistoryBuffer statistics methods ({sorted(statistics)}) are')
    return getattr(owner, name)


def register_checkpoint_safe_globals() -> None:
    """Add :func:`checkpoint_safe_globals` to ``torch.serialization``'s allowlist."""
    torch.serialization.add_safe_globals(checkpoint_safe_globals())


def _unsafe_checkpoint_message(filename: Any, error: Exception) -> str:
    return (
        f'Refused to load checkpoint {filename!r}: its pickle references an object outside '
        f'the weights_only allowlist, and loading it could run arbitrary code.\n'
        f'  PyTorch said: {_first_reason(error)}\n'
        'How to mend it: checkpoints written by mmengine load as they are once hsjp_mmpose is '
        'imported (add custom_imports = dict(imports=["hsjp_mmpose"], '
        'allow_failed_imports=False) to the config). For a checkpoint from elsewhere that you '
        'trust, re-save just its tensors (tools/extract_backbone.py does so for a backbone) or '
        'allow the named class with torch.serialization.add_safe_globals([...]).')


def _first_reason(error: Exception) -> str:
    """The line of PyTorch's long message that names what was refused."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in lines:
        if 'GLOBAL' in line or 'unrecognized' in line or 'Can only' in line:
            return line
    return lines[0] if lines else type(error).__name__


def patch_checkpoint_loader() -> None:
    """Make every mmengine checkpoint load (``load_from``, ``--resume``, ``Pretrained``
    init, ``mim test --checkpoint``) report a refused pickle clearly. Idempotent."""
    if getattr(CheckpointLoader.load_checkpoint, '_hsjp_patched', False):
        return
    original = CheckpointLoader.load_checkpoint.__func__

    def load_checkpoint(cls, filename, map_location=None, logger='current'):
        try:
            return original(cls, filename, map_location, logger)
        except UnsafeCheckpointError:
            raise
        except pickle.UnpicklingError as error:
            raise UnsafeCheckpointError(_unsafe_checkpoint_message(filename, error)) from error

    load_checkpoint._hsjp_patched = True
    load_checkpoint.__doc__ = original.__doc__
    CheckpointLoader.load_checkpoint = classmethod(load_checkpoint)


register_checkpoint_safe_globals()
patch_checkpoint_loader()
