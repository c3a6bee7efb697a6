# Copyright (c) hsjp-mmpose contributors.
"""Every change hsjp-mmpose makes to upstream MMPose / mmengine behaviour, in one list.

``import hsjp_mmpose`` (so any config with ``custom_imports=['hsjp_mmpose']``) calls
:func:`install`, which applies each patch of :data:`PATCHES` once. None edits upstream
files: each wraps a function or method and hands over to the original. A patch is switched
off for a process by naming it in the environment variable ``HSJP_MMPOSE_DISABLE_PATCHES``
(comma-separated; ``all`` for every one), e.g.::

    HSJP_MMPOSE_DISABLE_PATCHES=data_errors mim train mmpose my_config.py

=====================  ==================================================================
name                   what it changes
=====================  ==================================================================
checkpoint_loading     mmengine's ``CheckpointLoader.load_checkpoint`` loads the inert
                       types mmengine itself pickles under PyTorch >= 2.6's
                       ``weights_only=True``; refuses anything else with a named error; a
                       failed download names the URL and the offline fix
cpu_distributed        mmengine's ``_init_dist_*`` and ``MMDistributedDataParallel`` work
                       without CUDA (``nccl`` becomes ``gloo``, no ``device_ids``); the
                       process group is destroyed at exit
data_errors            MMPose's ``LoadImage`` and ``BaseCocoStyleDataset`` name the file,
                       id and field at fault; top-down data sets skip degenerate boxes
visualizer_numpy2      MMPose's ``PoseLocalVisualizer`` draws keypoints under NumPy 2
                       (``OpencvBackendVisualizer.draw_circles`` gets a number, not a
                       one-element array, as radius; torch keypoints become arrays)
=====================  ==================================================================

Every error a patch raises in place of a stock one is also an instance of the stock type
(:mod:`~hsjp_mmpose.patches.stock_errors`): ``ImageLoadError`` is an ``OSError``, an
``AssertionError`` and a ``cv2.error``; ``AnnotationFileNotFoundError`` an
``AssertionError``; ``AnnotationFileDecodeError`` a ``json.JSONDecodeError``;
``AnnotationFieldError`` a ``KeyError``; ``AnnotationFileTypeError`` a ``TypeError``;
``AnnotationFormatError`` an ``AssertionError`` (all ``AnnotationFileError``, a
``ValueError``);
``CorruptCheckpointError`` a ``RuntimeError``, ``EOFError`` and ``UnpicklingError``;
``CheckpointDownloadError`` a ``urllib.error.URLError``. Where no new class fits, the
stock error is raised with the new message attached as a note.

:func:`install` runs when ``hsjp_mmpose`` is first imported; after changing
:data:`DISABLE_ENV` in a running process, call :func:`install` again (or :func:`uninstall`
for stock behaviour everywhere). :func:`installed` lists what is in place.
"""
import os
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

from . import checkpoint_loading, cpu_distributed, data_errors, visualizer_numpy2

#: The environment variable that switches patches off (comma-separated names, or ``all``).
DISABLE_ENV = 'HSJP_MMPOSE_DISABLE_PATCHES'


@dataclass(frozen=True)
class Patch:
    """One change to upstream behaviour: its name, what it changes, why, the functions that
    apply and undo it (both idempotent) and the one that tells whether it is in place."""

    name: str
    changes: str
    why: str
    install: Callable[[], None]
    uninstall: Callable[[], None]
    is_installed: Callable[[], bool]


PATCHES: Tuple[Patch, ...] = (
    Patch('checkpoint_loading',
          "mmengine's CheckpointLoader.load_checkpoint (load_from, --resume, Pretrained "
          'init, mim test --checkpoint)',
          'PyTorch >= 2.6 loads with weights_only=True and refuses the HistoryBuffer and '
          'NumPy objects mmengine 0.10.7 writes (open-mmlab/mmengine#1655, #1650)',
          checkpoint_loading.patch_checkpoint_loader,
          checkpoint_loading.unpatch_checkpoint_loader,
          checkpoint_loading.checkpoint_loader_patched),
    Patch('cpu_distributed',
          "mmengine's _init_dist_pytorch/_slurm/_mpi and MMDistributedDataParallel.__init__",
          'mmengine 0.10.7 calls torch.cuda.set_device and passes device_ids '
          'unconditionally, so --launcher pytorch fails without CUDA; a gloo process that '
          'exits with its group alive may abort (pytorch/pytorch#190489)',
          cpu_distributed.patch_cpu_distributed, cpu_distributed.unpatch_cpu_distributed,
          cpu_distributed.cpu_distributed_patched),
    Patch('data_errors',
          "MMPose's LoadImage.transform, BaseCocoStyleDataset._load_annotations and "
          'load_data_list',
          'stock errors for a missing image, a missing or truncated annotation file or an '
          'empty data set name no file, id or field; NaN boxes reach the pipeline (no '
          'upstream issue)',
          data_errors.install_data_checks, data_errors.uninstall_data_checks,
          data_errors.data_checks_installed),
    Patch('visualizer_numpy2',
          "MMPose's OpencvBackendVisualizer.draw_circles and PoseLocalVisualizer."
          '_draw_instances_kpts / _draw_instances_kpts_openpose (inferencer pictures, '
          'mim test --show-dir, add_datasample)',
          'MMPose 1.3.2 calls int() on a one-element radius array, which NumPy >= 2.4 '
          'refuses, and np.array(kpts, copy=False), which NumPy 2 refuses for a torch '
          'tensor: no picture is drawn for any model (no upstream issue)',
          visualizer_numpy2.install_visualizer_fixes,
          visualizer_numpy2.uninstall_visualizer_fixes,
          visualizer_numpy2.visualizer_fixes_installed),
)
PATCH_NAMES = tuple(p.name for p in PATCHES)


def disabled_patches(environ: Dict[str, str] = os.environ) -> List[str]:
    """The patch names :data:`DISABLE_ENV` switches off (``all``: every one).

    Raises:
        ValueError: For a name that is no patch (the message lists the names).
    """
    names = [n.strip() for n in environ.get(DISABLE_ENV, '').split(',') if n.strip()]
    if 'all' in names:
        return list(PATCH_NAMES)
    unknown = [n for n in names if n not in PATCH_NAMES]
    if unknown:
        raise ValueError(f'{DISABLE_ENV}={environ[DISABLE_ENV]!r}: unknown patch '
                         f'{unknown}; the patches are {list(PATCH_NAMES)} (or "all")')
    return names


def install(environ: Dict[str, str] = os.environ) -> List[str]:
    """Apply every patch not switched off; returns the names applied."""
    off = set(disabled_patches(environ))
    applied = []
    for patch in PATCHES:
        if patch.name in off:
            patch.uninstall()
        else:
            patch.install()
            applied.append(patch.name)
    return applied


def uninstall() -> None:
    """Undo every patch (upstream behaviour again, e.g. to compare with it)."""
    for patch in PATCHES:
        patch.uninstall()


def installed() -> List[str]:
    """The names of the patches in place in this process."""
    return [patch.name for patch in PATCHES if patch.is_installed()]


__all__ = ['DISABLE_ENV', 'PATCHES', 'PATCH_NAMES', 'Patch', 'disabled_patches', 'install',
           'installed', 'uninstall']
