# Copyright (c) hsjp-mmpose contributors.
"""Export the backbone of a trained model as a tensors-only checkpoint.

A pretraining run (a whole ``TopdownPoseEstimator`` trained on the jigsaw task) ends with a
checkpoint that holds the full model, optimizer state and mmengine's message hub. Fine-tuning
needs only the backbone::

    model = dict(backbone=dict(init_cfg=dict(type='Pretrained',
                                             checkpoint='work_dirs/hsjp/backbone.pth')))

The exported file is ``{'state_dict': {name: Tensor}, 'meta': {str: str | int | float}}``
with the ``backbone.`` prefix removed, so it loads with ``torch.load(..., weights_only=True)``
without any allowlist and with mmengine's ``Pretrained`` init on the backbone (no ``prefix``).
"""
import os
import os.path as osp
from collections.abc import Mapping
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['extract_backbone_state_dict', 'extract_transfer_state_dict',
           'save_backbone_checkpoint', 'export_backbone']

#: What a pose task cannot reuse from a pretext task: the last 1x1 layer of the head,
#: whose output channels are the pretext's targets.
TASK_SPECIFIC_PREFIXES = ('head.final_layer.',)

#: Types allowed as values of the exported ``meta`` dict.
_META_TYPES = (str, int, float, bool)
_WRAPPER_PREFIX = 'module.'


def _state_dict_of(checkpoint: Mapping) -> Mapping:
    """The weights of a checkpoint dict: its ``state_dict`` entry, or the dict itself."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"checkpoint['state_dict'] should be a mapping of tensors, "
                        f'but got {type(state_dict).__name__}')
    return state_dict


def _prefix_hint(keys) -> str:
    """Describe ``keys`` to help a user pick the right prefix."""
    keys = list(keys)
    roots = sorted({key.split('.')[0] + '.' for key in keys if '.' in key})
    shown = ', '.join(keys[:5]) + (', ...' if len(keys) > 5 else '')
    return (f'{len(keys)} keys found, e.g. {shown}; top-level names: {", ".join(roots)}. '
            'Pass as prefix the name of the module that holds the backbone followed by a dot '
            '(e.g. "backbone."), or, if the file already holds a backbone alone, use it '
            'directly: init_cfg=dict(type="Pretrained", checkpoint=...) without prefix')


def extract_backbone_state_dict(checkpoint_or_state_dict: Mapping,
                                prefix: str = 'backbone.',
                                source: str = '<in-memory checkpoint>'
                                ) -> Dict[str, torch.Tensor]:
    """Select the tensors under ``prefix`` and strip the prefix from their names.

    Args:
        checkpoint_or_state_dict (Mapping): A checkpoint dict with a ``state_dict`` entry
            (as mmengine writes it) or a state dict itself. A leading ``module.`` left by a
            DDP wrapper is tolerated.
        prefix (str): The prefix of the backbone's keys. A missing trailing dot is added.
            Defaults to ``'backbone.'``.
        source (str): How to name the checkpoint in error messages (e.g. its path).

    Returns:
        Dict[str, torch.Tensor]: ``{name: tensor}`` (detached CPU copies), names without
        ``prefix``, in the original order.

    Raises:
        ValueError: If no key starts with ``prefix``; the message lists keys found.
    """
    if not isinstance(checkpoint_or_state_dict, Mapping):
        raise TypeError('expected a checkpoint dict or a state dict, but got '
                        f'{type(checkpoint_or_state_dict).__name__} from {source}')
    if not prefix:
        raise ValueError(f'prefix must be a non-empty string such as "backbone.", '
                         f'but got {prefix!r}')
    if not prefix.endswith('.'):
        prefix += '.'
    state_dict = _state_dict_of(checkpoint_or_state_dict)

    def select(full_prefix: str) -> Dict[str, torch.Tensor]:
        return {
            key[len(full_prefix):]: value.detach().cpu().clone()
            for key, value in state_dict.items()
            if key.startswith(full_prefix) and isinstance(value, torch.Tensor)
        }

    selected = select(prefix) or select(_WRAPPER_PREFIX + prefix)
    if not selected:
        raise ValueError(f'no tensor whose name starts with {prefix!r} in {source}: '
                       f'{_prefix_hint(state_dict.keys())}')
    return selected


def extract_transfer_state_dict(checkpoint_or_state_dict: Mapping,
                                exclude: Sequence[str] = TASK_SPECIFIC_PREFIXES,
                                source: str = '<in-memory checkpoint>'
                                ) -> Dict[str, torch.Tensor]:
    """The whole network minus the task-specific layers, names unchanged.

    HSJP's claim is that everything but the head's final 1x1 layer transfers from the
    jigsaw task to pose estimation. The result keeps the model's own key names
    (``backbone.*``, ``head.deconv_layers.*`` ...), so a fine-tuning config loads it with
    ``Pretrained`` inits on the backbone (``prefix='backbone.'``) and on the head
    (``prefix='head.'``).

    Args:
        checkpoint_or_state_dict (Mapping): A checkpoint dict or a state dict (a leading
            ``module.`` left by a DDP wrapper is removed).
        exclude (Sequence[str]): Key prefixes to leave out.
        source (str): How to name the checkpoint in error messages.
    """
    if not isinstance(checkpoint_or_state_dict, Mapping):
        raise TypeError('expected a checkpoint dict or a state dict, but got '
                        f'{type(checkpoint_or_state_dict).__name__} from {source}')
    state_dict = _state_dict_of(checkpoint_or_state_dict)
    selected = {}
    for key, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            continue
        if key.startswith(_WRAPPER_PREFIX):
            key = key[len(_WRAPPER_PREFIX):]
        if key.startswith(tuple(exclude)) or key.startswith('data_preprocessor.'):
            continue
        selected[key] = value.detach().cpu().clone()
    if not selected:
        raise ValueError(f'no tensor left in {source} after leaving out {list(exclude)}: '
                         f'{_prefix_hint(state_dict.keys())}')
    return selected


def _simple_meta(meta: Optional[Mapping]) -> Dict[str, Union[str, int, float, bool]]:
    """Keep the entries of ``meta`` that ``weights_only`` loading accepts as they are."""
    simple = {}
    for key, value in (meta or {}).items():
        if isinstance(value, np.generic) or (isinstance(value, torch.Tensor)
                                              and value.numel() == 1):
            value = value.item()
        if isinstance(value, _META_TYPES):
            simple[str(key)] = value
    return simple


def save_backbone_checkpoint(state_dict: Mapping, filename: str,
                             meta: Optional[Mapping] = None) -> str:
    """Write ``{'state_dict': ..., 'meta': ...}`` holding tensors and plain values only.

    The file is written to a temporary name first and renamed, so a reader never sees a
    half-written checkpoint.

    Args:
        state_dict (Mapping): ``{name: Tensor}``, e.g. from
            :func:`extract_backbone_state_dict`.
        filename (str): Where to write; parent folders are created.
        meta (Mapping, optional): Extra information; entries whose values are not
            ``str``/``int``/``float``/``bool`` (or scalars convertible to them) are dropped.

    Returns:
        str: ``filename``.
    """
    tensors = {}
    for name, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f'state_dict[{name!r}] is a {type(value).__name__}, not a tensor; '
                            'a backbone checkpoint holds tensors only')
        tensors[str(name)] = value.detach().cpu()
    parent = osp.dirname(osp.abspath(filename))
    os.makedirs(parent, exist_ok=True)
    tmp_name = f'{filename}.tmp{os.getpid()}'
    torch.save({'state_dict': tensors, 'meta': _simple_meta(meta)}, tmp_name)
    os.replace(tmp_name, filename)
    return filename


def export_backbone(src: Union[str, Mapping], dst: str, prefix: str = 'backbone.',
                    meta: Optional[Mapping] = None) -> Dict[str, torch.Tensor]:
    """Export the backbone of a checkpoint (file, URL or dict) to ``dst``.

    A file is read through mmengine's :class:`CheckpointLoader` (so ``weights_only`` rules
    apply; importing :mod:`hsjp_mmpose` allows what mmengine itself writes).

    Args:
        src (str | Mapping): A checkpoint path/URL, or an already loaded checkpoint.
        dst (str): The backbone checkpoint to write.
        prefix (str): The backbone's key prefix in ``src``. Defaults to ``'backbone.'``.
        meta (Mapping, optional): Extra entries for the exported ``meta``.

    Returns:
        Dict[str, torch.Tensor]: The exported state dict.
    """
    if isinstance(src, Mapping):
        checkpoint, source = src, '<in-memory checkpoint>'
    else:
        source = str(src)
        checkpoint = CheckpointLoader.load_checkpoint(source, map_location='cpu')
        if not isinstance(checkpoint, Mapping):
            raise TypeError(f'{source} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    state_dict = extract_backbone_state_dict(checkpoint, prefix=prefix, source=source)

    src_meta = checkpoint.get('meta') if isinstance(checkpoint.get('meta'), Mapping) else {}
    full_meta = {key: src_meta[key] for key in ('epoch', 'iter', 'mmengine_version',
                                                'mmpose_version', 'time', 'experiment_name')
                 if key in src_meta}
    full_meta.update(source=source, prefix=prefix, num_tensors=len(state_dict))
    full_meta.update(meta or {})
    save_backbone_checkpoint(state_dict, dst, meta=full_meta)
    return state_dict
