# Copyright (c) hsjp-mmpose contributors.
"""What a pose network does on real people, whatever keypoint layout it was trained on.

Real people come from small test sets laid out like MMPose's own test data::

    real_root/ochuman/test_ochuman.json       COCO-17 (OCHuman: heavily occluded people)
    real_root/crowdpose/test_crowdpose.json   CrowdPose's 14 keypoints
    real_root/mpii/test_mpii.json             MPII's 16 joints, MMPose's json (center, scale)
    real_root/coco/test_coco.json             COCO-17

with the images beside each file. Each set is read by MMPose's own dataset class
(:data:`REAL_SETS`: ``OCHumanDataset``, ``CrowdPoseDataset``, ``MpiiDataset``,
``CocoDataset``; ground-truth boxes) and its keypoints are moved to the *model's* layout
by MMPose's own ``KeypointConverter``, one step put before ``PackPoseInputs`` in the
model config's test pipeline (:func:`cross_layout_pipeline`). The mapping is read off the
joint names of the two layouts (:func:`hsjp_mmpose.datasets.layouts.keypoint_mapping`),
restricted to the twelve limb joints every body layout shares
(:data:`~hsjp_mmpose.datasets.layouts.LIMB_JOINTS`), so every set and every model, COCO-17
or LSP's 14 joints, is scored on the same joints. The dataset's metainfo is the model's
layout (:func:`cross_layout_dataset`), so flip test and the metric see the model's joints
(the converter, without midpoints, keeps the metainfo's ``flip_indices``).

The model (config + checkpoint) runs in MMPose's own test loop; the score is
:class:`~hsjp_mmpose.evaluation.TorsoPCKAccuracy`: PCK@0.2 of the torso (``tPCK``, the
ranking metric, over the people whose torso is labelled) and PCK@0.2 of the box beside it.
COCO AP is not reported: the face keypoints are never kept, so AP over COCO's 17 joints
would be wrong and AP over 12 would not be COCO's.

:func:`evaluate_on_real_people` scores one model on every set, on the sets pooled (the
people-weighted mean of the sets) and, given a real data source (LSP Extended), on that
source's test split through the same path. :func:`score_cross_layout` scores one split
(the calibration table scores its common LSP Extended split with it).
"""
import itertools
import json
import time
from copy import deepcopy
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from hsjp_mmpose.datasets.layouts import (LAYOUTS, LIMB_JOINTS, keypoint_converter,
                                          keypoint_mapping, keypoint_names,
                                          layout_metainfo_file)

PathLike = Union[str, Path]

__all__ = ['RealSet', 'REAL_SETS', 'model_layout', 'converter_step', 'cross_layout_pipeline',
           'cross_layout_dataset', 'score_cross_layout', 'source_dataset_type',
           'check_real_root',
           'evaluate_on_real_people', 'format_table', 'pooled_row']


class RealSet(NamedTuple):
    """One real test set: its folder under the real root, annotation file, MMPose's
    dataset class that reads it, keypoint layout (:data:`LAYOUTS`) and name in tables."""

    folder: str
    ann_file: str
    dataset_type: str
    layout: str
    title: str


#: The real test sets (MMPose's own test data).
REAL_SETS: Dict[str, RealSet] = dict(
    ochuman=RealSet('ochuman', 'test_ochuman.json', 'OCHumanDataset', 'coco', 'OCHuman'),
    crowdpose=RealSet('crowdpose', 'test_crowdpose.json', 'CrowdPoseDataset', 'crowdpose',
                      'CrowdPose'),
    mpii=RealSet('mpii', 'test_mpii.json', 'MpiiDataset', 'mpii', 'MPII'),
    coco=RealSet('coco', 'test_coco.json', 'CocoDataset', 'coco', 'COCO'),
)

#: The metric of every row: PCK@0.2 of the torso (tPCK) and of the box (PCK).
EVALUATOR = [dict(type='TorsoPCKAccuracy', thr=0.2)]


def _load_config(config):
    from mmengine.config import Config
    if isinstance(config, Config):
        return deepcopy(config)
    if not Path(config).is_file():
        raise FileNotFoundError(f'config {config} not found; pass the model config file '
                                '(the one the checkpoint was trained with)')
    return Config.fromfile(str(config))


def _config_dataset(cfg) -> Optional[dict]:
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset:
            return dataset
    return None


def model_layout(config) -> str:
    """The keypoint layout (a key of :data:`LAYOUTS`) of the model ``config`` trains:
    the joint names of its dataset's metainfo (the dataset's ``metainfo`` where the
    config sets one, else its class's, e.g. ``CocoDataset`` -> ``'coco'``,
    ``LspDataset`` -> ``'lsp'``), matched against every layout's names.

    Args:
        config: a config file or a loaded ``Config``.

    Raises:
        FileNotFoundError: No such config file.
        ValueError: The config has no dataset, an unknown dataset type, a layout none of
            :data:`LAYOUTS` has, or a head whose output count differs from the layout's
            joints (the message names the config and what to do).
    """
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from mmpose.registry import DATASETS

    import hsjp_mmpose.datasets  # noqa: F401  registers LspDataset
    import mmpose.datasets  # noqa: F401  registers MMPose's datasets
    cfg = _load_config(config)
    name = getattr(cfg, 'filename', None) or 'the config'
    fix = (f'pass the config of a top-down pose model whose dataset has one of the layouts '
           f'{sorted(LAYOUTS)} (their metainfo files: hsjp_mmpose/datasets/layouts.py), or '
           'add the model\'s layout there')
    dataset = _config_dataset(cfg)
    if dataset is None:
        raise ValueError(f'{name}: no test_dataloader / val_dataloader / train_dataloader '
                         f'dataset, so the keypoint layout of the model is unknown; {fix}')
    if dataset.get('metainfo'):
        meta = dict(dataset['metainfo'])
        where = f'the metainfo {meta} of its {dataset.get("type")} dataset'
    else:
        cls = DATASETS.get(dataset.get('type', ''))
        if cls is None or not getattr(cls, 'METAINFO', None):
            raise ValueError(f'{name}: cannot read the keypoint layout of dataset type '
                             f'{dataset.get("type")!r} (not a registered pose dataset with '
                             f'a metainfo file); {fix}')
        meta = deepcopy(cls.METAINFO)
        where = f'its dataset type {dataset.get("type")} ({meta})'
    try:
        parsed = parse_pose_metainfo(meta)
    except Exception as err:  # noqa: BLE001  mmengine and mmpose raise several types
        raise ValueError(f'{name}: cannot read {where}: {err}; {fix}') from None
    names = [parsed['keypoint_id2name'][k] for k in range(parsed['num_keypoints'])]
    layout = next((lay for lay in LAYOUTS if keypoint_names(lay) == names), None)
    if layout is None:
        raise ValueError(f'{name}: {where} has {len(names)} joints ({", ".join(names)}), '
                         f'which match none of the layouts {sorted(LAYOUTS)}; {fix}')
    head = (cfg.get('model') or {}).get('head') or {}
    out = head.get('out_channels')
    if isinstance(out, int) and out != len(names):
        raise ValueError(f'{name}: the head predicts {out} keypoints but the dataset\'s '
                         f'layout {layout!r} has {len(names)}; the config is inconsistent, '
                         'fix model.head.out_channels or the dataset')
    return layout


def converter_step(source: str, target: str,
                   joints: Optional[Sequence[str]] = LIMB_JOINTS) -> Optional[dict]:
    """The ``KeypointConverter`` step (config dict) that moves ``source``-layout keypoints
    to the ``target`` layout, keeping only ``joints`` (all shared ones with ``None``);
    ``None`` where nothing moves (same layout, every joint kept)."""
    if source == target and joints is None:
        return None
    return keypoint_converter(source, target, joints)


def cross_layout_pipeline(pipeline: Sequence[dict], step: Optional[dict]) -> List[dict]:
    """A copy of a test ``pipeline`` with ``step`` put before its ``PackPoseInputs`` (the
    pipeline unchanged for ``step`` None).

    Raises:
        ValueError: The pipeline has no ``PackPoseInputs``.
    """
    pipeline = [deepcopy(dict(t)) for t in pipeline]
    if step is None:
        return pipeline
    where = [i for i, t in enumerate(pipeline) if t.get('type') == 'PackPoseInputs']
    if not where:
        raise ValueError(f'the test pipeline has no PackPoseInputs step to put the keypoint '
                         f'converter before: {[t.get("type") for t in pipeline]}')
    pipeline.insert(where[-1], deepcopy(step))
    return pipeline


def cross_layout_dataset(dataset_type: str, data_root: PathLike, ann_file: str,
                         img_prefix: str, source_layout: str, target_layout: str,
                         pipeline: Sequence[dict],
                         joints: Optional[Sequence[str]] = LIMB_JOINTS) -> dict:
    """A test dataset (config dict) of MMPose's ``dataset_type`` on ``ann_file`` (ground
    truth boxes, top-down) whose keypoints reach the model in ``target_layout``: the
    metainfo is the target's (flip indices, joint names for the metric) and the
    ``pipeline`` gets :func:`converter_step` before ``PackPoseInputs``."""
    return dict(type=dataset_type, data_root=f'{Path(data_root).resolve()}/',
                data_mode='topdown', ann_file=ann_file, data_prefix=dict(img=img_prefix),
                metainfo=dict(from_file=layout_metainfo_file(target_layout)), test_mode=True,
                pipeline=cross_layout_pipeline(
                    pipeline, converter_step(source_layout, target_layout, joints)))


_RUNS = itertools.count()


def score_cross_layout(config, checkpoint: PathLike, dataset_type: str, data_root: PathLike,
                       ann_file: str, img_prefix: str, source_layout: str,
                       work_dir: PathLike, joints: Optional[Sequence[str]] = LIMB_JOINTS,
                       batch_size: int = 16, name: str = 'real',
                       log_level: str = 'INFO') -> Tuple[Dict, dict]:
    """Score ``checkpoint`` of ``config`` on one split of any layout with MMPose's test
    loop (in this process): the split is read by ``dataset_type`` and converted to the
    model's layout (:func:`cross_layout_dataset`), scored by ``TorsoPCKAccuracy``.
    ``log_level`` is the test run's (``'WARNING'`` keeps the config dump and progress
    lines out of a caller's own output).

    Returns:
        (metrics, counts): ``tPCK``, ``tPCK/people``, ``tPCK/<joint>``, ``PCK``; and
        ``people`` (people the model saw) and ``keypoints`` (their labelled keypoints
        among the kept joints).
    """
    from mmengine.runner import Runner
    cfg = _load_config(config)
    target = model_layout(cfg)
    pipeline = _config_dataset(cfg).get('pipeline') or []
    dataset = cross_layout_dataset(dataset_type, data_root, ann_file, img_prefix,
                                   source_layout, target, pipeline, joints)
    cfg.work_dir = str(Path(work_dir).resolve())
    cfg.load_from = str(checkpoint)
    cfg.resume = False
    cfg.launcher = 'none'
    cfg.log_level = log_level
    cfg.experiment_name = f'{name}_{time.strftime("%Y%m%d_%H%M%S")}_{next(_RUNS)}'
    cfg.test_dataloader = dict(batch_size=batch_size, num_workers=0, persistent_workers=False,
                               drop_last=False,
                               sampler=dict(type='DefaultSampler', shuffle=False,
                                            round_up=False),
                               dataset=dataset)
    cfg.test_cfg = dict(type='TestLoop')
    cfg.test_evaluator = deepcopy(EVALUATOR)
    if cfg.get('default_hooks'):
        cfg.default_hooks.pop('visualization', None)
    runner = Runner.from_cfg(cfg)
    metrics = {k: float(v) for k, v in runner.test().items()}
    if 'tPCK/people' in metrics:
        metrics['tPCK/people'] = int(metrics['tPCK/people'])
    return metrics, _counts(runner.test_dataloader.dataset, source_layout, target, joints)


def _counts(dataset, source: str, target: str, joints) -> dict:
    """People in ``dataset`` and their labelled keypoints among the joints kept."""
    kept = [s for s, _ in keypoint_mapping(source, target, joints)]
    keypoints = 0
    for i in range(len(dataset)):
        visible = dataset.get_data_info(i)['keypoints_visible'].reshape(-1)
        keypoints += int((visible[kept] > 0).sum())
    return dict(people=len(dataset), keypoints=keypoints)


def check_real_root(real_root: PathLike, names: Sequence[str]) -> None:
    """Fail before any work where ``real_root`` lacks a set of ``names``.

    Raises:
        ValueError: An unknown set name, or no set at all.
        FileNotFoundError: ``real_root`` is not a folder or lacks an annotation file
            (the message names the file and how to mend it).
    """
    unknown = [n for n in names if n not in REAL_SETS]
    if unknown or not names:
        raise ValueError(f'real sets: unknown {unknown or "(none given)"}; choose from '
                         f'{list(REAL_SETS)}')
    root = Path(real_root)
    if not root.is_dir():
        raise FileNotFoundError(f'real root {root} is not a folder; pass the folder holding '
                                f'{", ".join(s.folder + "/" for s in REAL_SETS.values())} '
                                "(MMPose's test data: tests/data in an MMPose checkout)")
    for name in names:
        real = REAL_SETS[name]
        path = root / real.folder / real.ann_file
        if not path.is_file():
            raise FileNotFoundError(f'real set {name!r}: {path} not found; the real root must '
                                    f'hold {real.folder}/{real.ann_file} with its images, or '
                                    f'leave {name} out of the sets')


def _row(name: str, title: str, layout: str, metrics: dict, counts: dict) -> dict:
    return dict(set=name, title=title, layout=layout, people=counts['people'],
                scored=metrics.get('tPCK/people', 0), keypoints=counts['keypoints'],
                tpck=metrics.get('tPCK'), pck=metrics.get('PCK'), metrics=metrics)


def pooled_row(rows: Sequence[dict]) -> dict:
    """The sets pooled: ``tPCK`` the mean of the sets' weighted by the people each scored
    (those with a labelled torso), ``PCK`` weighted by the people each holds. (Not a
    recomputation over all people: a set's tPCK is a mean over joints.)"""
    def weighted(key, weight):
        pairs = [(r[key], r[weight]) for r in rows if r[key] is not None and r[weight]]
        total = sum(w for _, w in pairs)
        return sum(v * w for v, w in pairs) / total if total else None

    return dict(set='all', title='all (people-weighted mean)', layout=None,
                people=sum(r['people'] for r in rows), scored=sum(r['scored'] for r in rows),
                keypoints=sum(r['keypoints'] for r in rows), tpck=weighted('tpck', 'scored'),
                pck=weighted('pck', 'people'), metrics={})


def source_dataset_type(source) -> str:
    """The MMPose dataset type that reads ``source``'s files: that of its configs'
    dataset (``LspDataset`` for LSP Extended, ``CocoDataset`` for generated people)."""
    from mmengine.config import Config
    for role in ('pose2d-scratch', *sorted(source.configs)):
        if source.has(role):
            dataset = _config_dataset(Config.fromfile(str(source.config(role))))
            if dataset and dataset.get('type'):
                return dataset['type']
    raise ValueError(f'the {source.name} data source has no config that names its dataset '
                     'type')


def evaluate_on_real_people(config: PathLike, checkpoint: PathLike, real_root: PathLike,
                            work_dir: PathLike, names: Sequence[str] = tuple(REAL_SETS),
                            source=None, joints: Optional[Sequence[str]] = LIMB_JOINTS,
                            log: Optional[Callable[[str], None]] = print) -> List[dict]:
    """Score a model on the real sets under ``real_root`` (each through
    ``KeypointConverter`` to the model's layout, on ``joints``), on the sets pooled
    (:func:`pooled_row`, with more than one set) and, for a real data source (``source``,
    e.g. :class:`~hsjp_mmpose.experiments.data_sources.LspExtended`), on its test split,
    prepared once in ``work_dir`` by an
    :class:`~hsjp_mmpose.experiments.runner.ExperimentRunner`.

    Writes ``<work_dir>/results.md`` and ``results.json``; returns the rows (``set``,
    ``title``, ``layout``, ``people``, ``scored``: people with a labelled torso,
    ``keypoints``: labelled keypoints kept, ``tpck``, ``pck``, ``metrics``).

    Raises:
        FileNotFoundError: no config or checkpoint, or a real root without the sets.
        ValueError: an unknown set, or a model layout that cannot be read.
    """
    work_dir = Path(work_dir)
    for path, what, fix in ((config, 'config', 'pass the model config file'),
                            (checkpoint, 'checkpoint', 'pass the trained .pth file')):
        if not Path(path).is_file():
            raise FileNotFoundError(f'{what} {path} not found; {fix}')
    if names:
        check_real_root(real_root, names)
    elif source is None:
        raise ValueError('no real set and no data source to score; name at least one of '
                         f'{list(REAL_SETS)}')
    target = model_layout(config)
    say = log or (lambda msg: None)
    say(f'[real people] model layout {target!r}; scored on the joints {list(joints or [])}')
    rows = []
    for name in names:
        real = REAL_SETS[name]
        metrics, counts = score_cross_layout(
            config, checkpoint, real.dataset_type, Path(real_root) / real.folder,
            real.ann_file, '', real.layout, work_dir / 'runs' / name, joints, name=name)
        rows.append(_row(name, real.title, real.layout, metrics, counts))
        say(f'[real people] {name}: {counts["people"]} people, tPCK {metrics.get("tPCK")}')
    if len(rows) > 1:
        rows.append(pooled_row(rows))
    if source is not None and getattr(source, 'real_photos', False):
        from hsjp_mmpose.experiments.runner import ExperimentRunner
        runner = ExperimentRunner(work_dir, log=log, name='real-people')
        test = source.prepare(runner).test
        metrics, counts = score_cross_layout(
            config, checkpoint, source_dataset_type(source), test.data_root, test.ann_file,
            test.img_prefix, source.layout, work_dir / 'runs' / source.name, joints,
            name=source.name)
        rows.append(_row(source.name, f'{source.title}, test split', source.layout, metrics,
                         counts))
        say(f'[real people] {source.name} test: {counts["people"]} people, '
            f'tPCK {metrics.get("tPCK")}')
    text = format_table(rows, config, checkpoint, target, joints)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / 'results.md').write_text(text)
    (work_dir / 'results.json').write_text(json.dumps(dict(
        config=str(config), checkpoint=str(checkpoint), real_root=str(real_root),
        model_layout=target, joints=list(joints) if joints else None,
        source=getattr(source, 'name', None), rows=rows), indent=2))
    say('\n' + text)
    return rows


def format_table(rows: Sequence[dict], config=None, checkpoint=None, layout=None,
                 joints: Optional[Sequence[str]] = LIMB_JOINTS) -> str:
    """A markdown table of :func:`evaluate_on_real_people`'s rows."""
    from hsjp_mmpose.experiments.report import markdown_table
    lines = []
    if config is not None:
        kept = (f'the {len(joints)} limb joints every layout shares' if joints is not None
                and set(joints) == set(LIMB_JOINTS) else
                'every joint' if joints is None else f'the joints {", ".join(joints)}')
        lines += [f'Real people, ground-truth boxes; `{config}` with `{checkpoint}` (layout '
                  f'{layout}); keypoints moved to the model\'s layout by MMPose\'s '
                  f'KeypointConverter, scored on {kept}: PCK@0.2 of the torso (tPCK, over '
                  'the people whose torso is labelled) and of the box.'
                  + (' "all" is the people-weighted mean of the real sets.'
                     if any(r['set'] == 'all' for r in rows) else ''), '']

    def three(v):
        return 'n/a' if v is None else f'{v:.3f}'

    lines.append(markdown_table(
        ['set', 'layout', 'people', 'scored (torso labelled)', 'labelled keypoints',
         'tPCK@0.2', 'PCK@0.2 (box)'],
        [[r['title'], r['layout'] or '', r['people'], r['scored'], r['keypoints'],
          three(r['tpck']), three(r['pck'])] for r in rows]))
    return '\n'.join(lines) + '\n'
