# Copyright (c) hsjp-mmpose contributors.
"""Load mmengine checkpoints under PyTorch's ``weights_only`` rules.

Since PyTorch 2.6, ``torch.load`` defaults to ``weights_only=True``: it unpickles tensors
and a small allowlist of types only. Checkpoints that mmengine 0.10.7 writes also hold its
message hub (``HistoryBuffer``) and NumPy scalars/arrays, so with stock mmengine
``mim test --checkpoint``, ``--resume`` and ``load_from`` fail on checkpoints mmengine
itself wrote.

The patch (:func:`patch_checkpoint_loader`, applied by :mod:`hsjp_mmpose.patches`) makes
mmengine's checkpoint loader allow exactly those types (all
inert data containers) while it loads, instead of switching the check off:

- the allowance holds only inside ``CheckpointLoader.load_checkpoint`` (mmengine's one way
  in for ``load_from``, ``--resume``, ``Pretrained`` and ``mim test --checkpoint``); a plain
  ``torch.load`` elsewhere keeps PyTorch's own allowlist;
- a ``HistoryBuffer`` is restored as data only: mmengine's own ``__setstate__`` writes the
  checkpoint's statistics table into the class-wide ``_statistics_methods`` (a file could
  swap ``mean`` for another callable for the whole process); here that table is dropped;
- checkpoints written under NumPy 1 (``numpy.core.multiarray.*``) load under NumPy 2;
- a checkpoint whose pickle references anything else (``os.system``, say) is refused with
  an :class:`UnsafeCheckpointError` that names the file, the offending global and what to
  do; a truncated or corrupt file is reported as a :class:`CorruptCheckpointError`;
- a checkpoint URL that cannot be downloaded (an offline machine) is reported as a
  :class:`CheckpointDownloadError` naming the URL and how to use a local file instead.
"""
import pickle
import urllib.error
from typing import Any, Callable, List, Tuple

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .stock_errors import raise_in_place_of

__all__ = ['UnsafeCheckpointError', 'CorruptCheckpointError', 'CheckpointDownloadError',
           'checkpoint_safe_globals', 'checkpoint_loader_patched', 'patch_checkpoint_loader',
           'unpatch_checkpoint_loader']


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint references objects outside the ``weights_only`` allowlist."""


class CorruptCheckpointError(pickle.UnpicklingError, RuntimeError, EOFError):
    """A checkpoint file is truncated or not a checkpoint at all.

    Also a ``RuntimeError`` and an ``EOFError``: PyTorch raises one of those (or an
    ``UnpicklingError``) for such a file, and code that catches them still does."""


class CheckpointDownloadError(urllib.error.URLError):
    """A checkpoint given as a URL could not be downloaded (offline machine, bad URL).

    A ``URLError``, as the stock download raised; ``reason`` is the stock error's (e.g. the
    ``socket.gaierror`` of a host name that does not resolve)."""

    def __init__(self, message: str, reason: Any = None) -> None:
        super().__init__(reason if reason is not None else message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return type(self), (self.message, self.reason)


class _HistoryBufferData(HistoryBuffer):
    """Unpickles a ``HistoryBuffer`` from its data alone.

    Registered under HistoryBuffer's pickle name: the unpickler creates one of these, and
    :meth:`__setstate__` keeps the buffer's arrays and length, drops the pickled statistics
    table (mmengine would write it into the class-wide ``_statistics_methods``) and turns
    the object into a plain ``HistoryBuffer``.
    """

    _DATA_FIELDS = ('max_length', '_log_history', '_count_history')

    def __setstate__(self, state) -> None:
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f'a HistoryBuffer state must be a dict, got '
                                         f'{type(state).__name__}')
        self._set_default_statistics()  # the four built-ins, as mmengine does
        self.__dict__.update({k: state[k] for k in self._DATA_FIELDS if k in state})
        self.__class__ = HistoryBuffer


def _numpy_dtype_classes() -> List[type]:
    """NumPy 2's per-dtype classes (``numpy.dtypes.Float64DType``...), which
    ``BUILD`` instructions in a pickled dtype instantiate."""
    classes = {type(np.dtype(code)) for code in np.typecodes['All'] if code not in 'OV'}
    classes.discard(np.dtype)
    return sorted(classes, key=lambda cls: cls.__name__)


def checkpoint_safe_globals() -> List[Tuple[Callable, str]]:
    """The globals an mmengine checkpoint holds besides tensors, with the pickle names
    under which they appear. Each is a data container or a pure constructor of one."""
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray  # noqa
    safe: List[Tuple[Callable, str]] = [
        (_HistoryBufferData, 'mmengine.logging.history_buffer.HistoryBuffer'),
        (np.ndarray, 'numpy.ndarray'),
        (np.dtype, 'numpy.dtype'),
        # An empty NumPy array pickles its (empty) buffer as bytes().
        (bytes, 'builtins.bytes'),
        # HistoryBuffer pickles its statistics table as getattr(HistoryBuffer, 'mean') etc.
        (_history_buffer_statistic, 'builtins.getattr'),
    ]
    # NumPy 2 pickles as numpy._core, NumPy 1 as numpy.core: both names, one function.
    for core in ('numpy._core', 'numpy.core'):
        safe += [(multiarray.scalar, f'{core}.multiarray.scalar'),
                 (multiarray._reconstruct, f'{core}.multiarray._reconstruct')]
    # OrderedDict, Counter and ``_codecs.encode`` (bytes) are on PyTorch's own allowlist.
    safe += [(cls, f'numpy.dtypes.{cls.__name__}') for cls in _numpy_dtype_classes()]
    return safe


def _history_buffer_statistic(owner: Any, name: str) -> Callable:
    """``getattr`` restricted to HistoryBuffer's registered statistics methods."""
    # The pickle names HistoryBuffer, which the loader maps to _HistoryBufferData.
    is_history_buffer = (isinstance(owner, type) and issubclass(owner, HistoryBuffer)) or \
        isinstance(owner, HistoryBuffer)
    # The table is filled lazily, so the four built-in statistics are named explicitly.
    statistics = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if not (is_history_buffer and name in statistics):
        raise pickle.UnpicklingError(
            f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint: only '
            f'HistoryBuffer statistics methods ({sorted(statistics)}) are')
    return getattr(HistoryBuffer, name)


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


def _corrupt_checkpoint_message(filename: Any, error: Exception) -> str:
    return (f'Checkpoint {filename!r} is truncated or corrupt (not a complete PyTorch '
            f'checkpoint): {_first_reason(error)}\n'
            'How to mend it: the file was probably cut off while it was written or copied; '
            'use another checkpoint of the run (e.g. the previous epoch_N.pth) or copy it '
            'again.')


def _is_refused_global(error: Exception) -> bool:
    """Whether an unpickling error is PyTorch refusing a global (rather than bad bytes)."""
    text = str(error)
    return any(marker in text for marker in (
        'Unsupported global', 'GLOBAL', 'unrecognized function', 'Can only create new object',
        'Can only build', 'not allowed in a checkpoint'))


def _first_reason(error: Exception) -> str:
    """The line of PyTorch's long message that names what was refused (PyTorch's
    boilerplate about ``weights_only`` left out)."""
    boilerplate = ('Weights only load failed', 'Please file an issue', 'Check the documentation')
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.strip().startswith(boilerplate)]
    for line in lines:
        if 'GLOBAL' in line or 'unrecognized' in line or 'Can only' in line:
            return line
    return lines[0] if lines else type(error).__name__


def _download_message(filename: str, error: Exception) -> str:
    reason = getattr(error, 'reason', error)
    return (f'Could not download checkpoint {filename}: {reason}.\n'
            'How to mend it: on a machine without internet, download the file elsewhere and '
            'point the config at the local copy (e.g. --cfg-options '
            'model.backbone.init_cfg.checkpoint=/path/to/file.pth, or load_from=... for a '
            'whole model), or train without it (--cfg-options model.backbone.init_cfg=None '
            'starts the backbone from random weights).')


def _is_url(filename: Any) -> bool:
    """Whether mmengine downloads ``filename`` (``http(s)://``, ``open-mmlab://``,
    ``torchvision://`` ... all end in a download)."""
    return isinstance(filename, str) and '://' in filename


def patch_checkpoint_loader() -> None:
    """Make every mmengine checkpoint load (``load_from``, ``--resume``, ``Pretrained``
    init, ``mim test --checkpoint``) report a refused pickle, a corrupt file or a failed
    download clearly. Idempotent."""
    if getattr(CheckpointLoader.load_checkpoint, '_hsjp_patched', False):
        return
    original = CheckpointLoader.load_checkpoint.__func__

    def load_checkpoint(cls, filename, map_location=None, logger='current'):
        try:
            with torch.serialization.safe_globals(checkpoint_safe_globals()):
                return original(cls, filename, map_location, logger)
        except (UnsafeCheckpointError, CorruptCheckpointError, CheckpointDownloadError):
            raise
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            if not _is_url(filename):
                raise
            # a URLError (the host, the connection, an HTTP error): a CheckpointDownloadError;
            # a connection dropped while reading: the stock error with the message as a note
            raise_in_place_of(CheckpointDownloadError(_download_message(filename, error),
                                                      getattr(error, 'reason', error)), error)
        except pickle.UnpicklingError as error:
            if _is_refused_global(error):
                raise UnsafeCheckpointError(_unsafe_checkpoint_message(filename, error)) \
                    from error
            raise CorruptCheckpointError(_corrupt_checkpoint_message(filename, error)) \
                from error
        except (EOFError, RuntimeError) as error:
            text = str(error)
            if isinstance(error, EOFError) or 'zip archive' in text or 'PytorchStreamReader' \
                    in text or 'invalid header' in text:
                raise CorruptCheckpointError(_corrupt_checkpoint_message(filename, error)) \
                    from error
            raise

    load_checkpoint._hsjp_patched = True
    load_checkpoint._hsjp_original = original
    load_checkpoint.__doc__ = original.__doc__
    CheckpointLoader.load_checkpoint = classmethod(load_checkpoint)


def checkpoint_loader_patched() -> bool:
    """Whether mmengine's ``CheckpointLoader.load_checkpoint`` is the patched one."""
    return bool(getattr(CheckpointLoader.load_checkpoint, '_hsjp_patched', False))


def unpatch_checkpoint_loader() -> None:
    """Restore mmengine's own ``CheckpointLoader.load_checkpoint``. Idempotent."""
    current = CheckpointLoader.load_checkpoint.__func__
    if getattr(current, '_hsjp_patched', False):
        CheckpointLoader.load_checkpoint = classmethod(current._hsjp_original)


