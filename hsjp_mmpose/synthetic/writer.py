# Copyright (c) hsjp-mmpose contributors.
"""A generated COCO-keypoint data set of people: the project's default data.

:func:`generate_synthetic_coco` renders people posed from 3D skeletons (see
:mod:`.skeleton`) over cluttered backgrounds with occluders (see
:mod:`.render`) and writes them in COCO's keypoint format::

    out_dir/images/train/000001.jpg ...
    out_dir/images/val/000001.jpg ...
    out_dir/annotations/person_keypoints_{train,val}.json

so that an MMPose config reads it with ``data_root=out_dir``,
``ann_file='annotations/person_keypoints_train.json'`` and
``data_prefix=dict(img='images/train/')``.

Annotation format (COCO, plus two fields):

- ``images[i]``: ``id``, ``file_name`` (relative to ``images/{split}/``), ``width``,
  ``height`` and ``cam_param = {"f": [fx, fy], "c": [cx, cy]}`` (pixels; the convention of
  MMPose's Human3.6M annotations).
- ``annotations[j]``: ``id``, ``image_id``, ``category_id`` (1), ``bbox`` (x, y, w, h: the
  person's drawn silhouette, occluded parts included, clipped to the image), ``area`` (pixels
  of that silhouette), ``iscrowd`` (0), ``num_keypoints`` (keypoints with v > 0),
  ``keypoints`` (17 x (x, y, v) flattened, COCO order), ``keypoints_3d`` (17 x [X, Y, Z]:
  camera coordinates in mm, OpenCV axes) and ``pose_kind`` (the pose family).
  Visibility v: 0 outside the image (then x = y = 0, as in COCO), a face keypoint on the
  far side of the head (the eyes and nose of a person seen from behind, the far eye and ear
  of a profile: unlabelled, as COCO's annotators leave them) or the whole person is hidden
  (all keypoints 0, ``num_keypoints`` 0, bbox kept); 1 inside the image but covered (by an
  occluder, a nearer person, the person's own nearer parts, a hood over the ears); 2
  visible. For v > 0,
  (x, y) is the projection of ``keypoints_3d`` through ``cam_param``:
  ``x = fx * X / Z + cx``, ``y = fy * Y / Z + cy``.

Each image draws its randomness from ``(seed, split, index)`` alone, so any number of worker
processes writes the same bytes, and the JSON is written with a fixed key order and rounding
(0.01 px, 0.01 mm).
"""
import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .levels import DataLevel, get_data_level
from .render import render_image
from .skeleton import COCO_KEYPOINT_NAMES, COCO_SKELETON, NUM_KEYPOINTS, sample_camera

SPLITS = ('train', 'val')
_MIN_SIDE, _MAX_SIDE = 64, 4096
_IN_PROCESS_BELOW = 48  # fewer images than this are rendered without a worker pool

PERSON_CATEGORY = dict(supercategory='person', id=1, name='person',
                       keypoints=list(COCO_KEYPOINT_NAMES),
                       skeleton=[list(pair) for pair in COCO_SKELETON])


def image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random generator of one image, a function of (seed, split, index) only."""
    return np.random.default_rng(np.random.SeedSequence([seed, SPLITS.index(split), index]))


def _round(values, digits: int = 2) -> list:
    return [round(float(v), digits) for v in np.asarray(values).ravel()]


def render_sample(seed: int, split: str, index: int, image_size: Tuple[int, int] = (320, 256),
                  level: DataLevel = DataLevel()) -> Tuple[np.ndarray, dict, List[dict]]:
    """Render image ``index`` of ``split``: returns (BGR image, image record, annotations)."""
    rng = image_rng(seed, split, index)
    cam = sample_camera(rng, image_size)
    image, people = render_image(rng, cam, image_size, level)
    image_id = index + 1
    record = dict(id=image_id, file_name=f'{image_id:06d}.jpg', width=int(image_size[0]),
                  height=int(image_size[1]), cam_param=dict(f=[cam.fx, cam.fy], c=[cam.cx, cam.cy]))
    anns = []
    for k, person in enumerate(people):
        vis = person.visibility
        kpts = np.concatenate([person.keypoints_2d, vis[:, None]], axis=1)
        kpts[vis == 0] = 0.
        flat = [v if i % 3 < 2 else int(v) for i, v in enumerate(_round(kpts))]
        anns.append(dict(
            id=image_id * 10 + k + 1, image_id=image_id, category_id=1,
            bbox=_round(person.bbox), area=round(float(person.area), 2), iscrowd=0,
            num_keypoints=int(np.count_nonzero(vis)), keypoints=flat,
            keypoints_3d=[_round(p) for p in person.body.points[:NUM_KEYPOINTS]],
            pose_kind=person.body.kind))
    return image, record, anns


def _render_and_save(task: tuple) -> Tuple[dict, List[dict], int]:
    out_dir, split, index, seed, image_size, level, quality = task
    image, record, anns = render_sample(seed, split, index, image_size, level)
    ok, buf = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f'could not encode image {index} of {split} as JPEG')
    Path(out_dir, 'images', split, record['file_name']).write_bytes(buf.tobytes())
    return record, anns, sum(a['num_keypoints'] == 0 for a in anns)


def _worker_init() -> None:
    cv2.setNumThreads(1)


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f'{name} must be a non-negative integer (a number of images), '
                         f'got {value!r}')
    return int(value)


def _check_out_dir(out_dir) -> Path:
    if not isinstance(out_dir, (str, os.PathLike)) or str(out_dir) == '':
        raise ValueError(f'out_dir must be a folder path (str or Path), got {out_dir!r}')
    path = Path(out_dir).expanduser().absolute()
    for sub in (path, path / 'images', path / 'annotations'):
        if sub.exists() and not sub.is_dir():
            raise ValueError(f'out_dir {str(out_dir)!r}: {sub} exists and is not a folder; '
                             'pass a new or existing folder path')
    ancestor = path
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f'out_dir {str(out_dir)!r} cannot be created: {ancestor} is a file, '
                         'not a folder; pass a path under a folder')
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f'out_dir {str(out_dir)!r} is not writable ({ancestor} does not allow '
                         'writing); pass a folder you can write to')
    return path


def _check_image_size(image_size) -> Tuple[int, int]:
    ok = (isinstance(image_size, (tuple, list)) and len(image_size) == 2
          and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                  and _MIN_SIDE <= v <= _MAX_SIDE for v in image_size))
    if not ok:
        raise ValueError(f'image_size must be (width, height), two integers in '
                         f'[{_MIN_SIDE}, {_MAX_SIDE}], got {image_size!r}')
    return int(image_size[0]), int(image_size[1])


def _check_arguments(out_dir, num_train, num_val, seed, image_size, workers, jpeg_quality):
    num_train, num_val = _check_count('num_train', num_train), _check_count('num_val', num_val)
    if num_train + num_val == 0:
        raise ValueError('num_train and num_val are both 0: ask for at least one image')
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed!r}')
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f'workers must be a positive integer or None (one per CPU core), '
                         f'got {workers!r}')
    if isinstance(jpeg_quality, bool) or not isinstance(jpeg_quality, int) \
            or not 1 <= jpeg_quality <= 100:
        raise ValueError(f'jpeg_quality must be an integer in [1, 100], got {jpeg_quality!r}')
    return (_check_out_dir(out_dir), num_train, num_val, int(seed), _check_image_size(image_size))


def write_coco_json(path: Union[str, Path], images: List[dict], annotations: List[dict],
                    info: dict) -> None:
    """Write a COCO keypoint file with a fixed key order (byte-stable for equal input)."""
    data = dict(info=info, licenses=[], images=images, annotations=annotations,
                categories=[PERSON_CATEGORY])
    Path(path).write_text(json.dumps(data, separators=(',', ':')) + '\n', encoding='utf-8')


def generate_synthetic_coco(out_dir: Union[str, Path], num_train: int, num_val: int,
                            seed: int = 0, image_size: Sequence[int] = (320, 256),
                            workers: Optional[int] = None, max_people: Optional[int] = None,
                            jpeg_quality: int = 90, clutter: Optional[float] = None,
                            level: Union[str, DataLevel, dict] = 'hard') -> Dict:
    """Render a COCO-keypoint data set of synthetic people into ``out_dir``.

    Args:
        out_dir: folder to write (created if missing; existing files of the same name are
            overwritten).
        num_train: number of training images (>= 0).
        num_val: number of validation images (>= 0).
        seed: the data set's seed; the same seed gives byte-identical files.
        image_size: (w, h) of every image, each in [64, 4096].
        workers: worker processes (default: one per CPU core, at most 8, or none for
            fewer than 48 images); the files do not depend on it.
        max_people: at most this many people per image (1 to 3); overrides the level's.
        jpeg_quality: JPEG quality of the images.
        clutter: scale of background clutter and occluders, in [0, 2]: 0 draws people on
            plain gradients without occluders, 1 the full clutter; overrides the level's
            ``clutter`` and ``occluders``.
        level: difficulty, a name (``'easy'``, ``'medium'``, ``'hard'``), a
            :class:`~.levels.DataLevel` or a dict of its fields (with an optional
            ``base`` name); see :mod:`.levels`.

    Returns:
        dict: ``num_images`` / ``num_people`` / ``num_hidden`` per split, ``seconds``,
        ``images_per_second``, ``out_dir``, ``ann_files`` (split -> path) and ``workers``.
    """
    out_dir, num_train, num_val, seed, image_size = _check_arguments(
        out_dir, num_train, num_val, seed, image_size, workers, jpeg_quality)
    level = get_data_level(level)
    overrides = {}
    if max_people is not None:
        overrides['max_people'] = max_people
    if clutter is not None:
        overrides.update(clutter=clutter, occluders=clutter,
                         hide_prob=level.hide_prob * min(clutter, 1.))
    level = get_data_level(level, overrides)
    counts = dict(train=num_train, val=num_val)
    try:
        for split in SPLITS:
            (out_dir / 'images' / split).mkdir(parents=True, exist_ok=True)
        (out_dir / 'annotations').mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f'out_dir {str(out_dir)!r} cannot be written: {err}') from err

    total = num_train + num_val
    if workers is None:
        workers = 1 if total < _IN_PROCESS_BELOW else min(os.cpu_count() or 1, 8)
    workers = min(workers, total)
    start = time.perf_counter()
    summary = dict(out_dir=str(out_dir), workers=workers, level=level.to_dict(), ann_files={},
                   num_images={}, num_people={}, num_hidden={})
    # 'spawn', not the platform default 'fork': forking a process whose OpenCV / OpenMP
    # threads have started (a second call in one session, a test suite, a notebook)
    # can deadlock the workers.
    pool = (multiprocessing.get_context('spawn').Pool(workers, initializer=_worker_init)
            if workers > 1 else None)
    try:
        for split in SPLITS:
            tasks = [(str(out_dir), split, i, seed, image_size, level, jpeg_quality)
                     for i in range(counts[split])]
            results = (pool.imap(_render_and_save, tasks, chunksize=8) if pool
                       else map(_render_and_save, tasks))
            images, anns, hidden = [], [], 0
            for record, image_anns, num_hidden in results:
                images.append(record)
                anns += image_anns
                hidden += num_hidden
            ann_file = out_dir / 'annotations' / f'person_keypoints_{split}.json'
            info = dict(description='hsjp-mmpose synthetic people', split=split, seed=seed,
                        image_size=list(image_size), level=level.to_dict(), version=3)
            write_coco_json(ann_file, images, anns, info)
            summary['ann_files'][split] = str(ann_file)
            summary['num_images'][split] = len(images)
            summary['num_people'][split] = len(anns)
            summary['num_hidden'][split] = hidden
    except BaseException:
        if pool is not None:
            pool.terminate()
        raise
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    seconds = time.perf_counter() - start
    summary['seconds'] = round(seconds, 3)
    summary['images_per_second'] = round(total / max(seconds, 1e-9), 1)
    return summary
