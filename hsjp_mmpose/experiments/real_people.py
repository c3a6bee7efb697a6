# Copyright (c) hsjp-mmpose contributors.
"""What a network trained on generated people does on real ones.

Real people come from small test sets laid out like MMPose's own test data::

    data_root/ochuman/test_ochuman.json       COCO-17 (OCHuman: heavily occluded people)
    data_root/crowdpose/test_crowdpose.json   CrowdPose's 14 keypoints
    data_root/mpii/test_mpii.json             MPII's 16 joints, MMPose's json (center, scale)
    data_root/coco/test_coco.json             COCO-17

with the images beside each file. Every set is converted to one COCO-17 keypoint file
(:func:`to_coco17`): the keypoints that have a COCO counterpart are moved to COCO's order,
the others (CrowdPose's head and neck, MPII's pelvis, thorax, neck and head top) and COCO's
face keypoints where a set has none are left unlabelled (v=0), so they count neither in
COCO AP nor in PCK. A model (config + checkpoint) is then run with MMPose's own test loop
on the ground-truth boxes, and MMPose's ``CocoMetric`` (OKS with COCO's sigmas, over the
labelled keypoints) and ``PCKAccuracy`` (threshold 0.2 of the box size) score it, per set
and over all sets pooled (:func:`evaluate_on_real_people`).
"""
import json
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from PIL import Image

#: COCO-17 index of each keypoint of a source format (None: no COCO counterpart).
KEYPOINT_MAPS: Dict[str, List[Optional[int]]] = dict(
    coco=list(range(17)),
    # left/right shoulder, elbow, wrist, hip, knee, ankle, then head (top) and neck
    crowdpose=[5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, None, None],
    # r ankle, r knee, r hip, l hip, l knee, l ankle, pelvis, thorax, upper neck, head top,
    # r wrist, r elbow, r shoulder, l shoulder, l elbow, l wrist
    mpii=[16, 14, 12, 11, 13, 15, None, None, None, None, 10, 8, 6, 5, 7, 9],
)

#: The real test sets: folder, annotation file and keypoint format.
REAL_SETS = dict(
    ochuman=('ochuman', 'test_ochuman.json', 'coco'),
    crowdpose=('crowdpose', 'test_crowdpose.json', 'crowdpose'),
    mpii=('mpii', 'test_mpii.json', 'mpii'),
    coco=('coco', 'test_coco.json', 'coco'),
)

# Box area -> OKS scale where a set has no segmentation area (MMPose's MPII dataset and
# xtcocotools' ``use_area=False`` use the same factor).
_AREA_PER_BOX = 0.53


def _coco_categories() -> List[dict]:
    from hsjp_mmpose.synthetic.writer import PERSON_CATEGORY
    return [dict(PERSON_CATEGORY)]


def map_keypoints(keypoints: np.ndarray, fmt: str) -> np.ndarray:
    """Move (K, 3) keypoints (x, y, v) of format ``fmt`` to COCO-17: (17, 3), unmapped
    and unlabelled ones (0, 0, 0)."""
    mapping = KEYPOINT_MAPS[fmt]
    keypoints = np.asarray(keypoints, np.float64).reshape(-1, 3)
    if len(keypoints) != len(mapping):
        raise ValueError(f'{fmt} keypoints: expected {len(mapping)} per person, got '
                         f'{len(keypoints)}')
    out = np.zeros((17, 3))
    for src, dst in enumerate(mapping):
        if dst is not None and keypoints[src, 2] > 0:
            out[dst] = keypoints[src]
    return out


def _mpii_instances(anns: list, prefix: str) -> tuple:
    """MMPose's MPII json (``joints``, ``joints_vis``, ``center``, ``scale``, ``image``) ->
    COCO images and annotations. The box is the one MMPose's ``MpiiDataset`` derives (a
    square of ``scale`` x 200 px, centre moved down by 15 x ``scale`` px, 1-based to
    0-based)."""
    images, out, ids = [], [], {}
    for ann in anns:
        name = ann['image']
        if name not in ids:
            ids[name] = len(ids) + 1
            images.append(dict(id=ids[name], file_name=f'{prefix}{name}'))
        size = float(ann['scale']) * 200.
        cx, cy = float(ann['center'][0]), float(ann['center'][1])
        if cx != -1:
            cy += 15. * float(ann['scale'])
        cx, cy = cx - 1, cy - 1
        joints = np.asarray(ann['joints'], np.float64).reshape(-1, 2)
        vis = (np.asarray(ann['joints_vis']).reshape(-1) > 0) * 2.
        out.append(dict(image_id=ids[name], bbox=[cx - size / 2, cy - size / 2, size, size],
                        area=size * size * _AREA_PER_BOX, iscrowd=0,
                        keypoints=np.concatenate([joints, vis[:, None]], axis=1)))
    return images, out


def to_coco17(data: Union[dict, list], fmt: str, prefix: str = '') -> dict:
    """Convert one set's annotations to a COCO-17 keypoint file (a dict).

    Args:
        data: the loaded annotation file: a COCO-style dict (``coco``, ``crowdpose``) or
            MMPose's MPII list (``mpii``).
        fmt: ``'coco'``, ``'crowdpose'`` or ``'mpii'`` (see :data:`KEYPOINT_MAPS`).
        prefix: put before every image ``file_name`` (e.g. ``'mpii/'``).

    Returns:
        dict: ``images`` (``id``, ``file_name``, and ``width``/``height`` where known),
        ``annotations`` (``id``, ``image_id``, ``category_id`` 1, ``bbox`` xywh, ``area``:
        the file's, else 0.53 x the box's, ``iscrowd``, ``num_keypoints``, ``keypoints`` 51
        numbers) and COCO's person ``categories``.
    """
    if fmt not in KEYPOINT_MAPS:
        raise ValueError(f'unknown keypoint format {fmt!r}; choose one of '
                         f'{sorted(KEYPOINT_MAPS)}')
    if fmt == 'mpii':
        if not isinstance(data, list):
            raise ValueError('mpii annotations: expected MMPose\'s MPII json (a list of '
                             'people with joints, joints_vis, center, scale, image)')
        images, anns = _mpii_instances(data, prefix)
    else:
        if not isinstance(data, dict) or 'annotations' not in data or 'images' not in data:
            raise ValueError(f'{fmt} annotations: expected a COCO-style dict with images and '
                             'annotations')
        images = [dict({k: img[k] for k in ('id', 'width', 'height') if k in img},
                       file_name=f'{prefix}{img["file_name"]}') for img in data['images']]
        anns = []
        for ann in data['annotations']:
            if ann.get('category_id', 1) != 1:
                continue
            x, y, w, h = (float(v) for v in ann['bbox'])
            area = float(ann['area']) if 'area' in ann else w * h * _AREA_PER_BOX
            anns.append(dict(image_id=ann['image_id'], bbox=[x, y, w, h], area=area,
                             iscrowd=int(ann.get('iscrowd', 0)),
                             keypoints=np.asarray(ann['keypoints'], np.float64)))
    annotations = []
    for i, ann in enumerate(anns, start=1):
        kpts = map_keypoints(ann['keypoints'], fmt)
        annotations.append(dict(
            id=i, image_id=ann['image_id'], category_id=1,
            bbox=[round(float(v), 2) for v in ann['bbox']], area=round(float(ann['area']), 2),
            iscrowd=ann['iscrowd'], num_keypoints=int(np.count_nonzero(kpts[:, 2])),
            keypoints=[round(float(v), 2) if j % 3 < 2 else int(v)
                       for j, v in enumerate(kpts.ravel())]))
    return dict(images=images, annotations=annotations, categories=_coco_categories())


def merge(sets: Dict[str, dict]) -> dict:
    """Pool COCO-17 files (from :func:`to_coco17`) into one, renumbering the ids."""
    images, annotations = [], []
    for coco in sets.values():
        new_id = {}
        for img in coco['images']:
            new_id[img['id']] = len(images) + 1
            images.append(dict(img, id=len(images) + 1))
        for ann in coco['annotations']:
            annotations.append(dict(ann, id=len(annotations) + 1,
                                    image_id=new_id[ann['image_id']]))
    return dict(images=images, annotations=annotations, categories=_coco_categories())


def convert_real_sets(data_root: Union[str, Path], out_dir: Union[str, Path],
                      names: Sequence[str] = tuple(REAL_SETS)) -> Dict[str, Path]:
    """Write ``<out_dir>/<name>.json`` (COCO-17, image paths relative to ``data_root``;
    image sizes read from the images where a file has none) for every set in ``names`` and
    ``all.json`` (all of them pooled). Returns name -> path."""
    data_root, out_dir = Path(data_root), Path(out_dir)
    unknown = [n for n in names if n not in REAL_SETS]
    if unknown or not names:
        raise ValueError(f'real sets: unknown {unknown}; choose from {list(REAL_SETS)}')
    out_dir.mkdir(parents=True, exist_ok=True)
    converted, paths = {}, {}
    for name in names:
        folder, ann_file, fmt = REAL_SETS[name]
        path = data_root / folder / ann_file
        if not path.is_file():
            raise FileNotFoundError(f'real set {name!r}: {path} not found; the data root must '
                                    f'hold {folder}/{ann_file} (see hsjp_mmpose/experiments/'
                                    'real_people.py) or leave {name} out of the sets')
        coco = to_coco17(json.loads(path.read_text()), fmt, prefix=f'{folder}/')
        for img in coco['images']:  # MPII's file has no image sizes; COCO files need them
            if 'width' not in img or 'height' not in img:
                image = data_root / img['file_name']
                if not image.is_file():
                    raise FileNotFoundError(f'real set {name!r}: image {image} not found')
                with Image.open(image) as opened:
                    img['width'], img['height'] = opened.size
        converted[name] = coco
    if len(converted) > 1:
        converted['all'] = merge(converted)
    for name, coco in converted.items():
        paths[name] = out_dir / f'{name}.json'
        paths[name].write_text(json.dumps(coco))
    return paths


def score_on_coco17(config: Union[str, Path], checkpoint: Union[str, Path],
                   ann_file: Union[str, Path], data_root: Union[str, Path],
                   work_dir: Union[str, Path]) -> Dict[str, float]:
    """Run MMPose's test loop of ``config`` with ``checkpoint`` on a COCO-17 file (ground
    truth boxes), scored by ``CocoMetric`` and ``PCKAccuracy(thr=0.2)``; returns the
    metrics (``coco/AP``, ``coco/AP .5``, ..., ``PCK``)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    cfg.load_from = str(checkpoint)
    cfg.launcher = 'none'
    dataset = dict(type='CocoDataset', data_root='', data_mode='topdown',
                   ann_file=str(Path(ann_file).resolve()),
                   data_prefix=dict(img=str(Path(data_root).resolve()) + '/'), test_mode=True,
                   pipeline=cfg.test_dataloader.dataset.pipeline)
    cfg.test_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                               drop_last=False,
                               sampler=dict(type='DefaultSampler', shuffle=False,
                                            round_up=False),
                               dataset=dataset)
    cfg.test_evaluator = [dict(type='CocoMetric', ann_file=str(Path(ann_file).resolve()),
                               outfile_prefix=str(Path(work_dir) / 'keypoints')),
                          dict(type='PCKAccuracy', thr=0.2)]
    cfg.default_hooks.pop('visualization', None)
    runner = Runner.from_cfg(cfg)
    return {k: float(v) for k, v in runner.test().items()}


def evaluate_on_real_people(config: Union[str, Path], checkpoint: Union[str, Path],
                            data_root: Union[str, Path], work_dir: Union[str, Path],
                            names: Sequence[str] = tuple(REAL_SETS),
                            log: Optional[Callable[[str], None]] = print) -> List[dict]:
    """Convert the real sets under ``data_root`` and score the model on each set and on
    all pooled. Writes ``<work_dir>/results.md`` and ``results.json``; returns the rows
    (``set``, ``people``, ``keypoints``: labelled COCO keypoints, ``ap``, ``ap50``,
    ``pck``)."""
    work_dir = Path(work_dir)
    for path, what in ((config, 'config'), (checkpoint, 'checkpoint')):
        if not Path(path).is_file():
            raise FileNotFoundError(f'{what} {path} not found')
    if not Path(data_root).is_dir():
        raise FileNotFoundError(f'data root {data_root} is not a folder; pass the folder '
                                'holding ochuman/, crowdpose/, mpii/ and coco/')
    paths = convert_real_sets(data_root, work_dir / 'annotations', names)
    rows = []
    for name, ann_file in paths.items():
        coco = json.loads(Path(ann_file).read_text())
        people = [a for a in coco['annotations'] if a['num_keypoints'] > 0]
        if log:
            log(f'[real people] {name}: {len(people)} people')
        metrics = score_on_coco17(config, checkpoint, ann_file, data_root, work_dir / name)
        rows.append(dict(set=name, people=len(people),
                         keypoints=int(sum(a['num_keypoints'] for a in people)),
                         ap=metrics.get('coco/AP'), ap50=metrics.get('coco/AP .5'),
                         pck=metrics.get('PCK'), metrics=metrics))
    text = format_table(rows, config, checkpoint)
    (work_dir / 'results.md').write_text(text)
    (work_dir / 'results.json').write_text(json.dumps(dict(
        config=str(config), checkpoint=str(checkpoint), data_root=str(data_root),
        rows=rows), indent=2))
    if log:
        log('\n' + text)
    return rows


def format_table(rows: Sequence[dict], config=None, checkpoint=None) -> str:
    """A markdown table of :func:`evaluate_on_real_people`'s rows."""
    lines = []
    if config is not None:
        lines += [f'Real people, ground-truth boxes; `{config}` with `{checkpoint}`; COCO AP '
                  '(%) and PCK@0.2 (of the box size) over the keypoints that map to COCO-17.',
                  '']
    lines += ['| set | people | labelled keypoints | AP | AP .5 | PCK@0.2 |',
              '|---|---|---|---|---|---|']

    def pct(v):
        return 'n/a' if v is None else f'{100 * v:.1f}'

    for r in rows:
        pck = 'n/a' if r['pck'] is None else f"{r['pck']:.3f}"
        lines.append(f"| {r['set']} | {r['people']} | {r['keypoints']} | {pct(r['ap'])} | "
                     f"{pct(r['ap50'])} | {pck} |")
    return '\n'.join(lines) + '\n'


__all__ = ['KEYPOINT_MAPS', 'REAL_SETS', 'convert_real_sets', 'evaluate_on_real_people',
           'format_table', 'map_keypoints', 'merge', 'score_on_coco17', 'to_coco17']
