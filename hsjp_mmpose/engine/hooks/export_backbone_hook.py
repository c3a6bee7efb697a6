# Copyright (c) hsjp-mmpose contributors.
"""Write the backbone of the model being trained as a tensors-only checkpoint."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, EMAHook, Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmpose.registry import HOOKS
from ..backbone_export import (TASK_SPECIFIC_PREFIXES, export_backbone,
                               extract_backbone_state_dict, extract_transfer_state_dict,
                               save_backbone_checkpoint)


@HOOKS.register_module()
class ExportBackboneHook(Hook):
    """Export the backbone (and the whole transferable network) after training, and the
    backbone at each new best checkpoint.

    After training it writes ``<work_dir>/<filename>`` from the final weights (the
    exponential moving average when an :class:`EMAHook` runs, as in the saved checkpoints).
    When a :class:`CheckpointHook` with ``save_best`` records a new best checkpoint, the
    backbone of that checkpoint is written to ``<work_dir>/<best_filename>``. Both files are
    tensors-only (see :mod:`hsjp_mmpose.engine.backbone_export`); a fine-tuning config uses
    them as ``backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=...))``.

    After training it also writes ``<work_dir>/<transfer_filename>``: the whole network
    except the task-specific layers (``exclude``: the head's final 1x1 layer), keys
    unchanged, for configs that load the head's deconvolutions too (``Pretrained`` with
    ``prefix='head.'`` on the head, ``prefix='backbone.'`` on the backbone).

    Only the main process writes.

    Args:
        filename (str): Name of the final export in the work dir.
            Defaults to ``'backbone.pth'``.
        best_filename (str, optional): Name of the export of the best checkpoint; ``None``
            turns it off. Defaults to ``'backbone_best.pth'``.
        best_metric (str, optional): Which metric's best to follow when the checkpoint hook's
            ``save_best`` names several; ``None`` follows the only (or first) one.
        prefix (str): The backbone's key prefix in the model's state dict.
            Defaults to ``'backbone.'``.
        transfer_filename (str, optional): Name of the whole-network export; ``None``
            turns it off. Defaults to ``'transfer.pth'``.
        exclude (Sequence[str]): Key prefixes left out of the whole-network export.
            Defaults to ``('head.final_layer.',)``. For a head of which nothing transfers
            (``JigsawClassificationHead``), ``('head.',)``: the file then holds the
            backbone alone, loaded with ``prefix='backbone.'``.
    """

    # After CheckpointHook ('VERY_LOW'), so that its best checkpoint is already written.
    priority = 'LOWEST'

    def __init__(self,
                 filename: str = 'backbone.pth',
                 best_filename: Optional[str] = 'backbone_best.pth',
                 best_metric: Optional[str] = None,
                 prefix: str = 'backbone.',
                 transfer_filename: Optional[str] = 'transfer.pth',
                 exclude: Sequence[str] = TASK_SPECIFIC_PREFIXES) -> None:
        for name, value in (('filename', filename), ('prefix', prefix)):
            if not isinstance(value, str) or not value:
                raise ValueError(f'{name} must be a non-empty string, but got {value!r}')
        if best_filename is not None and (not isinstance(best_filename, str)
                                          or best_filename == filename):
            raise ValueError(f'best_filename must be None or a file name other than '
                             f'filename ({filename!r}), but got {best_filename!r}')
        self.filename = filename
        self.best_filename = best_filename
        self.best_metric = best_metric
        if transfer_filename is not None and (not isinstance(transfer_filename, str) or
                                              transfer_filename in (filename, best_filename)):
            raise ValueError(f'transfer_filename must be None or a file name other than '
                             f'{filename!r} and {best_filename!r}, but got '
                             f'{transfer_filename!r}')
        self.prefix = prefix
        self.transfer_filename = transfer_filename
        self.exclude = tuple(exclude)
        self._best_key: Optional[str] = None
        self._last_best: Tuple[Optional[str], Optional[float]] = (None, None)

    def before_train(self, runner: Runner) -> None:
        """Find the message-hub key under which the checkpoint hook records its best."""
        self._best_key = self._find_best_key(runner) if self.best_filename else None
        # After a resume, the best so far was exported by the earlier run already.
        if self._best_key is not None:
            self._last_best = self._current_best(runner)

    def after_val_epoch(self, runner: Runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Export the backbone of a best checkpoint written in this validation."""
        if self._best_key is None:
            return
        best = self._current_best(runner)
        if best[0] is None or best == self._last_best:
            return
        self._last_best = best
        if not is_main_process():
            return
        best_ckpt, score = best
        dst = osp.join(runner.work_dir, self.best_filename)
        meta = dict(epoch=runner.epoch, iter=runner.iter, best_ckpt=str(best_ckpt))
        if score is not None:
            meta['best_score'] = float(score)
        if osp.isfile(best_ckpt):
            state_dict = export_backbone(best_ckpt, dst, prefix=self.prefix, meta=meta)
        else:  # the checkpoint went to a remote backend: use the weights just validated
            state_dict = self._export_model(runner, dst, meta)
        runner.logger.info(f'Exported the backbone of the best checkpoint {best_ckpt} '
                           f'({len(state_dict)} tensors) to {dst}')

    def after_train(self, runner: Runner) -> None:
        """Export the backbone of the final weights."""
        if not is_main_process():
            return
        dst = osp.join(runner.work_dir, self.filename)
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        state_dict = self._export_model(runner, dst, meta)
        runner.logger.info(f'Exported the backbone of the final model ({len(state_dict)} '
                           f'tensors) to {dst}; fine-tune from it with '
                           f"backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='{dst}'))")
        if self.transfer_filename:
            dst = osp.join(runner.work_dir, self.transfer_filename)
            state_dict = self._export_model(runner, dst, meta, whole=True)
            if any(key.startswith('head.') for key in state_dict):
                how = ("Pretrained inits on the backbone (prefix='backbone.') and the head "
                       "(prefix='head.')")
            else:  # e.g. exclude=('head.',) for a head that does not transfer
                how = ("a Pretrained init on the backbone alone (prefix='backbone.'; the "
                       "file has no head., so a head init with prefix='head.' would fail)")
            runner.logger.info(
                f'Exported the whole network except {list(self.exclude)} ({len(state_dict)} '
                f'tensors) to {dst}; load it with {how}')

    def _export_model(self, runner: Runner, dst: str, meta: dict,
                      whole: bool = False) -> Dict[str, torch.Tensor]:
        """Export from the model in memory (its EMA weights when an EMAHook runs): the
        backbone, or with ``whole`` the network minus ``exclude``."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        source = f'the model ({type(model).__name__})'
        for hook in runner.hooks:
            if isinstance(hook, EMAHook) and getattr(hook, 'ema_model', None) is not None \
                    and hook._ema_started(runner):
                model, source = hook.ema_model.module, f'the EMA of {source}'
                break
        if whole:
            state_dict = extract_transfer_state_dict(model.state_dict(), self.exclude, source)
            meta = dict(meta, source=source, excluded=','.join(self.exclude),
                        num_tensors=len(state_dict))
        else:
            state_dict = extract_backbone_state_dict(model.state_dict(), self.prefix, source)
            meta = dict(meta, source=source, prefix=self.prefix, num_tensors=len(state_dict))
        save_backbone_checkpoint(state_dict, dst, meta=meta)
        return state_dict

    def _current_best(self, runner: Runner) -> Tuple[Optional[str], Optional[float]]:
        """The best checkpoint's path and score recorded in the message hub."""
        score_key = self._best_key.replace('best_ckpt', 'best_score', 1)
        return (runner.message_hub.get_info(self._best_key),
                runner.message_hub.get_info(score_key))

    def _find_best_key(self, runner: Runner) -> Optional[str]:
        """``'best_ckpt'`` or ``'best_ckpt_<metric>'``, as :class:`CheckpointHook` records it;
        ``None`` (with a log line) when no checkpoint hook saves a best."""
        save_best = None
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and hook.save_best:
                save_best = list(hook.save_best)
                break
        if not save_best:
            runner.logger.info(f'{type(self).__name__}: no CheckpointHook with save_best, so '
                               f'{self.best_filename} will not be written '
                               f'(only {self.filename} after training)')
            return None
        if len(save_best) == 1:
            if self.best_metric not in (None, save_best[0]) and save_best[0] != 'auto':
                raise ValueError(f'best_metric={self.best_metric!r} but the CheckpointHook '
                                 f'saves the best by {save_best[0]!r}')
            return 'best_ckpt'
        metric = self.best_metric or save_best[0]
        if metric not in save_best:
            raise ValueError(f'best_metric={metric!r} is not among the CheckpointHook\'s '
                             f'save_best={save_best}; pick one of them')
        return f'best_ckpt_{metric}'
