# Copyright (c) hsjp-mmpose contributors.
"""Check, when training starts, that ``Pretrained`` init_cfgs really loaded weights."""
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import PretrainedInit, is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from mmpose.registry import HOOKS


def _pretrained_cfgs(init_cfg) -> List[dict]:
    """The ``Pretrained`` entries of a module's ``init_cfg`` (a dict or a list)."""
    cfgs = [init_cfg] if isinstance(init_cfg, Mapping) else list(init_cfg or [])
    return [cfg for cfg in cfgs if isinstance(cfg, Mapping)
            and cfg.get('type') in ('Pretrained', PretrainedInit)]


def _shorten(keys: List[str], limit: int) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def _config_snippet(path: str, inner: str) -> str:
    """``model=dict(a=dict(b=dict(<inner>)))`` for the module path ``'a.b'``."""
    parts = path.split('.')
    return ('model=' + ''.join(f'dict({part}=' for part in parts) + f'dict({inner})'
            + ')' * len(parts))


def _shape(shape) -> str:
    return str(tuple(int(size) for size in shape))


@dataclass
class LoadCheckResult:
    """How one module's tensors compare with its ``Pretrained`` checkpoint (key lists).

    ``shape_mismatch`` holds ``(key, checkpoint shape, module shape)`` for the keys of
    ``differ`` whose shapes differ (mmengine's ``strict=False`` loading skips them with a
    log line, leaving the module's own initialisation).
    """
    loaded: List[str]
    differ: List[str]
    missing: List[str]
    unexpected: List[str]
    num_module: int
    num_file: int
    shape_mismatch: List[Tuple[str, tuple, tuple]] = field(default_factory=list)

    @property
    def loaded_weights(self) -> List[str]:
        """``loaded`` without BatchNorm's ``num_batches_tracked`` counters, which equal
        a fresh module's (0) in any checkpoint that was never trained."""
        return [key for key in self.loaded if not key.endswith('num_batches_tracked')]


def compare_with_checkpoint(module: nn.Module, file_state: Mapping) -> LoadCheckResult:
    """Compare ``module.state_dict()`` with the tensors ``file_state`` should have put there.

    Args:
        module (nn.Module): The module after its weights were initialised.
        file_state (Mapping): ``{name: Tensor}`` from the checkpoint, named as in ``module``.

    Returns:
        LoadCheckResult: ``loaded`` (equal tensors), ``differ`` (in both, not equal: shape
        mismatch or overwritten later), ``missing`` (in the module only; BatchNorm's
        ``num_batches_tracked`` ignored) and ``unexpected`` (in the file only).
    """
    current = module.state_dict()
    loaded, differ, missing, shape_mismatch = [], [], [], []
    for name, tensor in current.items():
        if name not in file_state:
            if not name.endswith('num_batches_tracked'):
                missing.append(name)
            continue
        stored = file_state[name]
        if (isinstance(stored, torch.Tensor) and stored.shape == tensor.shape
                and torch.equal(stored.to(tensor.device, tensor.dtype), tensor)):
            loaded.append(name)
        else:
            differ.append(name)
            if isinstance(stored, torch.Tensor) and stored.shape != tensor.shape:
                shape_mismatch.append((name, tuple(stored.shape), tuple(tensor.shape)))
    unexpected = [name for name in file_state if name not in current]
    return LoadCheckResult(loaded, differ, missing, unexpected, len(current), len(file_state),
                           shape_mismatch)


def checkpoint_state_for(checkpoint: Mapping, prefix: Optional[str]) -> Dict[str, torch.Tensor]:
    """The names ``PretrainedInit`` gives a checkpoint's tensors: the prefix stripped (keys
    without it dropped) when given, else a DDP ``module.`` stripped."""
    state = checkpoint.get('state_dict', checkpoint)
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        return {key[len(prefix):]: value for key, value in state.items()
                if key.startswith(prefix)}
    return {key[len('module.'):] if key.startswith('module.') else key: value
            for key, value in state.items()}


@HOOKS.register_module()
class PretrainedInitCheckHook(Hook):
    """Report what each ``Pretrained`` init_cfg loaded, and fail when it loaded nothing.

    mmengine's ``Pretrained`` init loads with ``strict=False``: a wrong ``prefix``, a
    checkpoint of another architecture, or ``init_cfg=dict(type='Pretrained', prefix=...)``
    put on the whole model instead of on its backbone all load nothing with no error, and
    training silently starts from random weights. This hook runs in ``before_train`` (after
    ``Runner`` has initialised the weights), finds every module whose ``init_cfg`` is
    ``Pretrained``, loads that checkpoint again (through mmengine's loader, under PyTorch's
    ``weights_only`` rules) and compares its tensors with the module's. It logs, per module,
    how many tensors came from which file and the missing / unexpected / differing keys,
    and raises ``RuntimeError`` (saying what to change) when no tensor matched.

    Tensors whose shapes differ from the checkpoint's (a final layer trained for another
    number of keypoints, a backbone of another width) are skipped by mmengine with a log
    line and keep their own initialisation; the report names each with both shapes and
    says how to mend it. When every tensor but BatchNorm's ``num_batches_tracked`` counters
    differs, nothing was loaded, and the hook raises.

    Nothing is checked when training resumes or ``load_from`` replaces the weights, and a
    model without ``Pretrained`` init only gets a log line.

    Args:
        max_keys_shown (int): How many keys each list in the report shows. Defaults to 5.
    """

    priority = 'VERY_HIGH'

    def __init__(self, max_keys_shown: int = 5) -> None:
        if not isinstance(max_keys_shown, int) or max_keys_shown < 1:
            raise ValueError(f'max_keys_shown must be a positive int, but got {max_keys_shown!r}')
        self.max_keys_shown = max_keys_shown

    def before_train(self, runner: Runner) -> None:
        name = type(self).__name__
        if getattr(runner, '_resume', False):
            runner.logger.info(f'{name}: resuming training, so the weights come from the '
                               'resumed checkpoint; Pretrained init not checked')
            return
        if getattr(runner, '_load_from', None) is not None:
            runner.logger.info(f'{name}: load_from={runner._load_from!r} replaces the '
                               'initial weights; Pretrained init not checked')
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        found = [(module_name, module, cfg) for module_name, module in model.named_modules()
                 for cfg in _pretrained_cfgs(getattr(module, 'init_cfg', None))]
        if not found:
            runner.logger.info(f'{name}: no module of the model has a Pretrained init_cfg; '
                               'all weights start from their default initialisation')
            return
        for module_name, module, cfg in found:
            report, result = self.check_module(module_name, module, cfg)
            # A partial load (another architecture, a renamed layer) is worth a warning;
            # a head without its task-specific final layer is what transfer intends.
            expected = all(key.startswith('final_layer.') for key in result.missing)
            log = runner.logger.warning if (result.missing and not expected) or result.differ \
                else runner.logger.info
            log(report)

    def check_module(self, module_name: str, module: nn.Module,
                     cfg: Mapping) -> Tuple[str, LoadCheckResult]:
        """Compare ``module`` with the checkpoint of its ``Pretrained`` ``cfg``.

        Returns:
            tuple: The report (a line, plus one per non-empty key list) and the comparison.

        Raises:
            RuntimeError: When no tensor of the module equals the checkpoint's.
        """
        checkpoint, prefix = cfg['checkpoint'], cfg.get('prefix')
        where = f'model.{module_name}' if module_name else 'the whole model'
        where += f' ({type(module).__name__})'
        loaded = CheckpointLoader.load_checkpoint(
            checkpoint, map_location='cpu', logger='current')
        if not isinstance(loaded, Mapping):
            raise RuntimeError(f'{checkpoint} holds a {type(loaded).__name__}, '
                               'not a state dict')
        file_state = checkpoint_state_for(loaded, prefix)
        result = compare_with_checkpoint(module, file_state)
        source = f'{checkpoint}' + (f' (prefix {prefix!r})' if prefix else '')
        if not result.loaded_weights:
            # (num_batches_tracked alone is no load: it is 0 in any untrained checkpoint.)
            raise RuntimeError(self._nothing_loaded_message(
                where, module_name, module, cfg, loaded, file_state, result))

        limit = self.max_keys_shown
        lines = [f'{type(self).__name__}: {where}: {len(result.loaded)}/{result.num_module} '
                 f'tensors loaded from {source}']
        if result.missing:
            note = ' (the task-specific final layer, initialised for this task)' \
                if all(key.startswith('final_layer.') for key in result.missing) else ''
            lines.append(f'  missing in the checkpoint ({len(result.missing)}): '
                         f'{_shorten(result.missing, limit)}{note}')
        if result.unexpected:
            lines.append(f'  unexpected, not in the module ({len(result.unexpected)}): '
                         f'{_shorten(result.unexpected, limit)}')
        if result.differ:
            lines.append(f'  not equal to the checkpoint (shape mismatch or overwritten) '
                         f'({len(result.differ)}): {_shorten(result.differ, limit)}')
        if result.shape_mismatch:
            lines.append(self._shape_mismatch_lines(result, checkpoint))
        return '\n'.join(lines), result

    def _shape_mismatch_lines(self, result: LoadCheckResult, checkpoint: str,
                              mend: bool = True) -> str:
        """The keys of other shape (both shapes shown) and, with ``mend``, how to mend it."""
        limit = self.max_keys_shown
        shown = [f'{key}: checkpoint {_shape(stored)}, module {_shape(own)}'
                 for key, stored, own in result.shape_mismatch[:limit]]
        more = len(result.shape_mismatch) - limit
        lines = [f'  shape mismatch in {checkpoint}, not loaded, kept their own '
                 f'initialisation ({len(result.shape_mismatch)}):']
        lines += [f'    {line}' for line in shown]
        if more > 0:
            lines.append(f'    ... ({more} more)')
        if not mend:
            return '\n'.join(lines)
        if all(key.startswith('final_layer.') for key, _, _ in result.shape_mismatch):
            _, stored_shape, own_shape = result.shape_mismatch[0]
            stored, own = stored_shape[0], own_shape[0]  # output channels
            lines.append(
                f'  How to mend it: the checkpoint\'s final layer has {stored} output '
                f'channels and this module\'s {own} (trained for another task or keypoint '
                'set), so it starts from its own initialisation, as fine-tuning to other '
                'keypoints needs. To load without this mismatch, use a checkpoint without '
                'the final layer (ExportBackboneHook\'s transfer.pth leaves out '
                'head.final_layer; tools/extract_backbone.py writes the backbone alone); to '
                f'load it, point checkpoint= at a model with out_channels={own}.')
        else:
            lines.append(
                '  How to mend it: these tensors come from another architecture (another '
                'width or number of channels); point checkpoint= at a checkpoint of this '
                'architecture, or, if only these layers differ on purpose, save the '
                'checkpoint without them (as transfer.pth leaves out head.final_layer).')
        return '\n'.join(lines)

    def _nothing_loaded_message(self, where: str, module_name: str, module: nn.Module,
                                cfg: Mapping, loaded: Mapping, file_state: Mapping,
                                result: Optional[LoadCheckResult] = None) -> str:
        limit = self.max_keys_shown
        checkpoint, prefix = cfg['checkpoint'], cfg.get('prefix')
        module_keys = list(module.state_dict())
        raw_keys = list(loaded.get('state_dict', loaded))
        head = (f'{where}: init_cfg={dict(cfg)} loaded no tensor from {checkpoint}: '
                f'none of its {len(raw_keys)} tensors matches the module\'s '
                f'{len(module_keys)} tensors by name, shape and value, so training would '
                'start from random weights.')
        detail = (f'\n  module keys: {_shorten(module_keys, limit)}'
                  f'\n  checkpoint keys: {_shorten(raw_keys, limit)}')
        if result is not None and result.shape_mismatch:
            # The names match but the shapes do not: another width / number of channels.
            detail += '\n' + self._shape_mismatch_lines(result, checkpoint, mend=False)
            fix = (f'\nHow to mend it: the names match but {len(result.shape_mismatch)} of '
                   f'the {len(module_keys)} tensors have other shapes in {checkpoint}: it '
                   'holds a network of another width or number of channels. Point '
                   'checkpoint= at a checkpoint of this architecture (same depth, width and '
                   'channels as the model in this config), or change the model to match it.')
            return head + fix + detail
        if not module_name and prefix:
            fix = (f'\nHow to mend it: init_cfg with prefix={prefix!r} sits on the whole model; '
                   'mmengine strips the prefix from the checkpoint\'s keys, and then none '
                   'matches the model\'s own (prefixed) names. Move it to the backbone:\n'
                   '  ' + _config_snippet('backbone', f"init_cfg=dict(type='Pretrained', "
                                          f"checkpoint='{checkpoint}', prefix='{prefix}')"))
            return head + fix + detail
        # Does the file hold one child alone (a backbone-only file on the whole model)?
        for child_name, _ in module.named_children():
            if {f'{child_name}.{key}' for key in file_state} & set(module_keys):
                path = f'{module_name}.{child_name}' if module_name else child_name
                init = f"init_cfg=dict(type='Pretrained', checkpoint='{checkpoint}')"
                fix = (f'\nHow to mend it: the checkpoint holds model.{path} alone; move the '
                       f'init_cfg there and remove it from {where}:\n'
                       f'  {_config_snippet(path, init)}')
                return head + fix + detail
        # Would another prefix have matched? E.g. a whole-model checkpoint without prefix.
        roots = sorted({key.split('.')[0] for key in raw_keys if '.' in key})
        for root in roots:
            candidate = checkpoint_state_for(loaded, root + '.')
            if set(candidate) & set(module_keys):
                fix = (f'\nHow to mend it: the module\'s weights are under "{root}." in the '
                       f"checkpoint: set prefix='{root}.' in this init_cfg.")
                return head + fix + detail
        if prefix and not any(key.startswith(prefix.rstrip('.') + '.') for key in raw_keys):
            fix = (f'\nHow to mend it: no key of the checkpoint starts with {prefix!r}; '
                   'drop prefix if the file holds this module alone (as '
                   'tools/extract_backbone.py writes it), or pick one of the top-level names '
                   f'{roots}.')
        else:
            fix = ('\nHow to mend it: check that checkpoint= names a checkpoint of this '
                   'architecture (same depth/width) and that prefix selects this module\'s '
                   'weights; a backbone exported by tools/extract_backbone.py loads without '
                   'prefix.')
        return head + fix + detail
