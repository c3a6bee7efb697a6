# Copyright (c) hsjp-mmpose contributors.
"""Every ``--cfg-options`` an experiment gives ``mim train`` / ``mim test``, built one way.

An arm of an experiment is a config file plus ``key=value`` overrides. The builders here
read the config they override, so an override names a config key, never a position taken
on trust: transforms are found by ``type`` (:func:`pipeline_index`), schedulers are
stretched from the config's own ``param_scheduler`` (:func:`schedule_options`), the
``Pretrained`` init of the head is found by type (:func:`init_options`).

- :func:`coco_data_root_options`: point the three dataloaders at another data folder;
- :func:`dataset_options`: point each dataloader at a data source's files (folder,
  annotation file, images);
- :func:`schedule_options`: train for ``epochs`` (the by-epoch schedulers follow);
- :func:`finetune_options`: data, the first ``num_labelled`` people, schedule, seed
  (:func:`finetune_schedule_options`: the same without the data);
- :func:`init_options`: start from a pretraining run (whole network or backbone);
- :func:`jigsaw_options`: another puzzle grid for the HSJP pretraining config;
- :func:`transform_options`: set arguments of a pipeline step found by type.
"""
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.config import Config

ConfigLike = Union[str, Path, Config]
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')

__all__ = ['DATALOADERS', 'load_config', 'coco_data_root_options', 'dataset_options',
           'pipeline_index', 'transform_options', 'schedule_options', 'finetune_options',
           'finetune_schedule_options', 'init_options', 'jigsaw_options', 'option_value']


def load_config(config: ConfigLike) -> Config:
    """``config`` itself when it is a :class:`~mmengine.config.Config`, else the file read."""
    return config if isinstance(config, Config) else Config.fromfile(str(config))


def _name(cfg: Config, config: ConfigLike) -> str:
    return str(getattr(cfg, 'filename', None) or config)


def option_value(value) -> str:
    """A Python value as ``--cfg-options`` writes it (tuples as ``(a,b)``)."""
    if isinstance(value, (tuple, list)):
        return '(' + ','.join(option_value(v) for v in value) + (',)' if len(value) == 1
                                                                  else ')')
    return str(value)


def coco_data_root_options(data_root: Union[str, Path],
                           evaluator_ann_file: Optional[str] = None) -> List[str]:
    """Overrides that point a COCO-style config at another data folder.

    A config's ``data_root`` variable is resolved when the file is read, so overriding it
    on the command line changes nothing; the dataloaders' ``data_root`` (and, for
    evaluators that read an annotation file, their ``ann_file``) are overridden one by one.

    Args:
        data_root: folder holding ``annotations/`` and the image folders.
        evaluator_ann_file: if given, also set the val/test evaluators' ``ann_file`` to this
            path relative to ``data_root`` (for a ``CocoMetric`` that reads its ground truth
            from a file; the project's configs take it from the dataset instead).

    Returns:
        list[str]: overrides of the three dataloaders' ``dataset.data_root`` and, optionally,
        of the evaluators' ``ann_file``.
    """
    root = Path(data_root).resolve()
    options = [f'{loader}.dataset.data_root={root}/' for loader in DATALOADERS]
    if evaluator_ann_file is not None:
        options += [f'{evaluator}.ann_file={root / evaluator_ann_file}'
                    for evaluator in ('val_evaluator', 'test_evaluator')]
    return options


def dataset_options(config: ConfigLike, files: dict) -> List[str]:
    """Overrides that point each dataloader of ``files`` (loader name ->
    :class:`~hsjp_mmpose.experiments.data_sources.DataFiles`) at its files: the
    ``data_root`` always (a config's ``data_root`` variable is resolved when the file is
    read, see :func:`coco_data_root_options`), the ``ann_file`` and the image prefix
    (``data_prefix.img``) only where they differ from the config's own, so a config
    already pointing at the same files gets exactly :func:`coco_data_root_options`."""
    cfg = load_config(config)
    options = []
    for loader, data in files.items():
        dataset = cfg[loader].dataset
        options.append(f'{loader}.dataset.data_root={Path(data.data_root).resolve()}/')
        if dataset.get('ann_file') != data.ann_file:
            options.append(f'{loader}.dataset.ann_file={data.ann_file}')
        if (dataset.get('data_prefix') or {}).get('img') != data.img_prefix:
            options.append(f'{loader}.dataset.data_prefix.img={data.img_prefix}')
    return options


def pipeline_index(config: ConfigLike, loader: str, transform: str) -> int:
    """Index of the first transform of type ``transform`` in ``<loader>.dataset.pipeline``,
    so that overrides name a transform by type, never by position.

    Raises:
        KeyError: When the pipeline has no such step (the message lists the steps).
    """
    cfg = load_config(config)
    pipeline = cfg[loader].dataset.pipeline
    for i, step in enumerate(pipeline):
        if step.get('type') == transform:
            return i
    raise KeyError(f'{loader}.dataset.pipeline of {_name(cfg, config)} has no '
                   f'{transform} (it has {[step.get("type") for step in pipeline]})')


def transform_options(config: ConfigLike, transform: str, loaders: Sequence[str],
                      **values) -> List[str]:
    """Overrides that set ``values`` on the ``transform`` step of each loader's pipeline
    (found by type), e.g. ``transform_options(cfg, 'RandomJigsaw', ['train_dataloader'],
    patch_jitter=4)``; a dotted key reaches into the step (``**{'encoder.grid': (2, 2)}``).
    """
    cfg = load_config(config)
    options = []
    for loader in loaders:
        index = pipeline_index(cfg, loader, transform)
        options += [f'{loader}.dataset.pipeline.{index}.{key}={option_value(value)}'
                    for key, value in values.items()]
    return options


#: Scheduler arguments that :func:`schedule_options` stretches, and those it cannot.
_STRETCHED = ('end', 'T_max')
_UNSTRETCHABLE = ('milestones', 'step_size', 'T_0', 'total_steps')


def schedule_options(config: ConfigLike, epochs: int,
                     val_interval: Optional[int] = None) -> List[str]:
    """Train for ``epochs`` epochs, the config's learning-rate schedule stretched to fit.

    Sets ``train_cfg.max_epochs`` and, for every by-epoch scheduler of the config's
    ``param_scheduler`` that runs to the config's last epoch (``end`` equal to
    ``train_cfg.max_epochs``, or no ``end``), its ``T_max`` and ``end`` (those it has).
    Iteration-based schedulers (the warm-up) and by-epoch ones that end earlier are left
    as they are. With ``val_interval``, also ``train_cfg.val_interval``.

    Raises:
        ValueError: When ``epochs`` is not a positive integer, or a scheduler to stretch
            has a shape that cannot be stretched by ``end`` alone (``milestones``, ...).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f'epochs must be an integer >= 1, got {epochs!r}')
    cfg = load_config(config)
    max_epochs = cfg.train_cfg.get('max_epochs')
    options = [f'train_cfg.max_epochs={epochs}']
    if val_interval is not None:
        options.append(f'train_cfg.val_interval={val_interval}')
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
        prefix = 'param_scheduler'
    else:
        prefix = None
    for i, sched in enumerate(schedulers):
        if not sched.get('by_epoch', True) or sched.get('end', max_epochs) != max_epochs:
            continue
        fixed = [key for key in _UNSTRETCHABLE if key in sched]
        if fixed:
            raise ValueError(
                f'param_scheduler.{i} ({sched.get("type")}) of {_name(cfg, config)} has '
                f'{fixed}: it cannot be stretched to {epochs} epochs by its end alone; '
                'override param_scheduler for this arm yourself')
        key_prefix = prefix or f'param_scheduler.{i}'
        options += [f'{key_prefix}.{key}={epochs}' for key in _STRETCHED if key in sched]
    return options


def finetune_options(config: ConfigLike, data_root: Union[str, Path], epochs: int,
                     num_labelled: int, val_interval: int, seed: int) -> List[str]:
    """Overrides of a fine-tuning arm: its data, the first ``num_labelled`` labelled people,
    the schedule stretched to ``epochs``, validation every ``val_interval`` epochs, seed."""
    return coco_data_root_options(data_root) + finetune_schedule_options(
        config, epochs, num_labelled, val_interval, seed)


def finetune_schedule_options(config: ConfigLike, epochs: int, num_labelled: int,
                              val_interval: int, seed: int) -> List[str]:
    """:func:`finetune_options` without the data: for a data source's own
    (:meth:`~hsjp_mmpose.experiments.data_sources.PreparedData.options`)."""
    return schedule_options(config, epochs) + [
        f'train_dataloader.dataset.indices={num_labelled}',
        f'train_cfg.val_interval={val_interval}', f'randomness.seed={seed}']


def init_options(run_dir: Union[str, Path], transfer: str, config: ConfigLike) -> List[str]:
    """Point a fine-tuning config (one with ``Pretrained`` inits) at a pretraining run's
    ``transfer.pth``: the whole network but the head's last layer (``'whole'``: the
    backbone's init and the head's ``Pretrained`` init, found by type), or the backbone
    alone (``'backbone'``: the head starts from its own init).

    Raises:
        ValueError: On another ``transfer``, or (``'whole'``) a head without a
            ``Pretrained`` init.
    """
    if transfer not in ('whole', 'backbone'):
        raise ValueError(f"transfer must be 'whole' or 'backbone', got {transfer!r}")
    checkpoint = Path(run_dir) / 'transfer.pth'
    options = [f'model.backbone.init_cfg.checkpoint={checkpoint}']
    if transfer == 'backbone':
        return options + ['model.head.init_cfg=None']
    cfg = load_config(config)
    head_init = cfg.model.head.get('init_cfg') or []
    if isinstance(head_init, dict):
        head_init = [head_init]
    index = next((i for i, c in enumerate(head_init) if c.get('type') == 'Pretrained'), None)
    if index is None:
        raise ValueError(f'model.head.init_cfg of {_name(cfg, config)} has no Pretrained '
                         "entry to load the head from; use transfer='backbone' or a "
                         '*_hsjp-init_* config')
    return options + [f'model.head.init_cfg.{index}.checkpoint={checkpoint}']


def jigsaw_options(config: ConfigLike, grid: Tuple[int, int], patch_jitter: int) -> List[str]:
    """Overrides that change the puzzle of an HSJP pretraining config consistently: the
    codec, the head, the ``RandomJigsaw`` steps and the target's encoder (found by type),
    the datasets' metainfo and the metric."""
    rows, cols = grid
    g = f'({rows},{cols})'
    cfg = load_config(config)
    options = [f'model.head.out_channels={rows * cols}', f'model.head.decoder.grid={g}',
               f'val_evaluator.grid={g}', f'test_evaluator.grid={g}']
    options += transform_options(cfg, 'RandomJigsaw', DATALOADERS, grid=(rows, cols),
                                 patch_jitter=patch_jitter)
    options += transform_options(cfg, 'GenerateTarget', ['train_dataloader'],
                                 **{'encoder.grid': (rows, cols)})
    options += [f'{loader}.dataset.jigsaw_grid={g}' for loader in DATALOADERS]
    return options
