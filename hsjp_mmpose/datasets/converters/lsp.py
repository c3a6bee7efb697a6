# Copyright (c) hsjp-mmpose contributors.
"""Leeds Sports Pose (LSP) and LSP Extended, as published, to COCO-style keypoint files.

The two sets (Johnson and Everingham, BMVC 2010 and CVPR 2011) ship a folder with
``joints.mat`` and ``images/``; neither has boxes. Their ``joints`` arrays differ:

=================  ==========  ==============================  ========================
set                 shape       third value per joint            images
=================  ==========  ==============================  ========================
LSP Extended       14x3xN      1 visible, 0 not                 ``images/im%05d.jpg``
LSP (original)     3x14xN      1 **occluded**, 0 visible        ``images/im%04d.jpg``
=================  ==========  ==============================  ========================

(LSP's flag is inverted against LSPET's; the usual LSP preprocessing computes
``1 - joints(3, :, :)``.) In LSP Extended nearly every joint flagged 0 holds a placeholder,
not an estimate: one coordinate 0 and the other negative (outside the image), or exactly
``(0, 0)``.

Visibility in COCO's convention: a visible joint is ``v=2``; a joint that is not visible
but sits inside the image at an estimated place is ``v=1``; a joint outside the image,
or at LSP Extended's placeholder ``(0, 0)`` with flag 0, is ``v=0`` (unlabelled). The
published coordinates are kept for every joint, labelled or not, so the files round-trip
to ``joints.mat`` exactly (:func:`coco_to_joints`).

Boxes: the labelled joints' extent, grown by ``margin`` of its width and height on every
side and clipped to the image; ``area`` is 0.53 of the box (the factor MMPose's MPII
dataset and xtcocotools use without segmentations).

The split is fixed here (:data:`SPLITS`): LSP Extended images 1-8,000 train, 8,001-9,000
val, 9,001-10,000 test; LSP 1-1,000 train, 1,001-2,000 test (the authors' split).
"""
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ['LspDataError', 'SPLITS', 'LSP_NUM_JOINTS', 'LSP_METAINFO', 'read_joints',
           'joints_to_coco', 'coco_to_joints', 'convert_lsp', 'find_converted']

LSP_NUM_JOINTS = 14
#: The metainfo file of the 14 joints (names, flip pairs, skeleton, sigmas, weights).
LSP_METAINFO = 'configs/_base_/datasets/lsp.py'
#: Image number ranges (1-based, inclusive) of each split, per set.
SPLITS: Dict[str, Dict[str, Tuple[int, int]]] = {
    'lspet': dict(train=(1, 8000), val=(8001, 9000), test=(9001, 10000)),
    'lsp': dict(train=(1, 1000), test=(1001, 2000)),
}
_IMAGE_NAMES = dict(lspet='im{:05d}.jpg', lsp='im{:04d}.jpg')
_SET_NAMES = dict(lspet='LSP Extended', lsp='LSP')
_AREA_PER_BOX = 0.53
#: What a converted folder records, so that a second conversion with the same input and
#: settings is skipped.
STAMP_FILE = 'conversion.json'
_FORMAT_VERSION = 1


class LspDataError(ValueError):
    """The published LSP / LSP Extended folder is not as the authors publish it; the
    message names the file and what to do."""


def _where_to_get(folder: Path) -> str:
    return (f'pass the folder of the published set (joints.mat and images/ from '
            f'http://sam.johnson.io/research/lspet.html or lsp.html), not {folder}')


def read_joints(data_root: Union[str, Path]) -> Tuple[np.ndarray, str]:
    """``joints.mat`` of a published folder as ``(N, 14, 3)`` (x, y, the published flag)
    and which set it is (``'lspet'`` or ``'lsp'``, from the array's shape).

    Raises:
        LspDataError: no ``joints.mat``, no ``joints`` array in it, another shape, or
            values that are not finite (naming the images).
    """
    from scipy.io import loadmat
    folder = Path(data_root)
    mat = folder / 'joints.mat'
    if not folder.is_dir():
        raise LspDataError(f'LSP data root {folder} is not a folder; {_where_to_get(folder)}')
    if not mat.is_file():
        hint = ''
        if (folder / 'annotations').is_dir() and any(
                (folder / 'annotations').glob('person_keypoints_*.json')):
            hint = (' It holds annotations/person_keypoints_*.json: generated people, '
                    'which take --dataset generated.')
        raise LspDataError(f'{mat} not found.{hint} For LSP / LSP Extended, '
                           f'{_where_to_get(folder)}')
    try:
        content = loadmat(str(mat))
    except Exception as err:  # noqa: BLE001  scipy raises several types for a bad file
        raise LspDataError(f'{mat} cannot be read as a MATLAB file ({err}); download it '
                           'again') from None
    if 'joints' not in content:
        names = sorted(k for k in content if not k.startswith('__'))
        raise LspDataError(f'{mat} has no array "joints" (it has {names}); the published '
                           'file holds joints, 14 x 3 x N (LSP Extended) or 3 x 14 x N (LSP)')
    joints = np.asarray(content['joints'], dtype=np.float64)
    if joints.ndim == 3 and joints.shape[:2] == (LSP_NUM_JOINTS, 3):
        kind, joints = 'lspet', joints.transpose(2, 0, 1)
    elif joints.ndim == 3 and joints.shape[:2] == (3, LSP_NUM_JOINTS):
        kind, joints = 'lsp', joints.transpose(2, 1, 0)
    else:
        raise LspDataError(f'{mat}: joints has shape {joints.shape}; expected 14 x 3 x N '
                           '(LSP Extended) or 3 x 14 x N (LSP), as the authors publish it')
    bad = np.flatnonzero(~np.isfinite(joints).all(axis=(1, 2)))
    if len(bad):
        names = [_IMAGE_NAMES[kind].format(i + 1) for i in bad[:10]]
        more = f' ({len(bad) - 10} more)' if len(bad) > 10 else ''
        raise LspDataError(f'{mat}: joints of {len(bad)} images are not finite (NaN or '
                           f'inf): {", ".join(names)}{more}; use the published file, or '
                           'mend those entries (an unlabelled joint is flagged 0, not NaN)')
    return joints, kind


def _image_sizes(image_dir: Path, kind: str, count: int) -> List[Tuple[int, int]]:
    """(width, height) of every image, read from its header; each must exist and open."""
    from PIL import Image, UnidentifiedImageError
    if not image_dir.is_dir():
        raise LspDataError(f'{image_dir} not found: the published folder holds images/ '
                           f'beside joints.mat; {_where_to_get(image_dir.parent)}')
    sizes = []
    for i in range(1, count + 1):
        path = image_dir / _IMAGE_NAMES[kind].format(i)
        if not path.is_file():
            raise LspDataError(f'image {path} not found: joints.mat has {count} people, one '
                               'per image; restore the image from the published archive')
        try:
            with Image.open(path) as image:
                image.verify()  # the header and the file's structure, without decoding
                sizes.append(image.size)
        except (UnidentifiedImageError, OSError, SyntaxError) as err:
            raise LspDataError(f'image {path} cannot be read ({err}); restore it from the '
                               'published archive') from None
    return sizes


def _coco_visibility(joints: np.ndarray, kind: str, sizes: np.ndarray) -> np.ndarray:
    """(N, 14) COCO visibility from the published flags and the image sizes."""
    x, y, flag = joints[..., 0], joints[..., 1], joints[..., 2]
    width, height = sizes[:, 0:1], sizes[:, 1:2]
    inside = (x >= 0) & (y >= 0) & (x < width) & (y < height)
    visible = flag > 0.5 if kind == 'lspet' else flag < 0.5
    v = np.where(visible, 2, 1)
    placeholder = (x == 0) & (y == 0) & ~visible
    return np.where(inside & ~placeholder, v, 0).astype(np.int64)


def _box(keypoints: np.ndarray, visibility: np.ndarray, size: Tuple[int, int],
         margin: float) -> Optional[List[float]]:
    labelled = keypoints[visibility > 0]
    if len(labelled) == 0:
        return None
    (x0, y0), (x1, y1) = labelled.min(axis=0), labelled.max(axis=0)
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    x0, y0 = max(0., x0 - dx), max(0., y0 - dy)
    x1, y1 = min(float(size[0]), x1 + dx), min(float(size[1]), y1 + dy)
    return [x0, y0, x1 - x0, y1 - y0]


def _categories(metainfo: dict) -> List[dict]:
    names = [metainfo['keypoint_id2name'][k] for k in range(metainfo['num_keypoints'])]
    skeleton = [[int(a) + 1, int(b) + 1] for a, b in metainfo['skeleton_links']]
    return [dict(id=1, name='person', supercategory='person', keypoints=names,
                 skeleton=skeleton)]


def joints_to_coco(joints: np.ndarray, kind: str, sizes: Sequence[Tuple[int, int]],
                   numbers: Sequence[int], metainfo: dict, margin: float = 0.1) -> dict:
    """COCO keypoint file (a dict) of the people ``numbers`` (1-based image numbers).

    Args:
        joints: ``(N, 14, 3)`` from :func:`read_joints`.
        kind: ``'lspet'`` or ``'lsp'``.
        sizes: (width, height) of every image of the set.
        numbers: which images (1-based) go into the file.
        metainfo: the parsed LSP metainfo (joint names and skeleton of ``categories``).
        margin: box margin, a fraction of the joints' extent on every side.

    Returns:
        dict: ``images`` (``id`` = image number, ``file_name``, ``width``, ``height``),
        ``annotations`` (one per image: ``id`` = image number, ``bbox`` xywh, ``area``,
        ``iscrowd`` 0, ``num_keypoints``, ``keypoints`` 42 numbers) and ``categories``.
        People without a labelled joint are left out.
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    visibility = _coco_visibility(joints, kind, sizes)
    images, annotations = [], []
    for number in numbers:
        i = number - 1
        width, height = (int(v) for v in sizes[i])
        images.append(dict(id=number, file_name=_IMAGE_NAMES[kind].format(number),
                           width=width, height=height))
        box = _box(joints[i, :, :2], visibility[i], (width, height), margin)
        if box is None or box[2] <= 0 or box[3] <= 0:
            continue
        keypoints = np.concatenate([joints[i, :, :2], visibility[i, :, None]], axis=1)
        annotations.append(dict(
            id=number, image_id=number, category_id=1,
            bbox=[round(v, 3) for v in box],
            area=round(box[2] * box[3] * _AREA_PER_BOX, 3), iscrowd=0,
            num_keypoints=int(np.count_nonzero(visibility[i])),
            keypoints=[float(v) if j % 3 < 2 else int(v)
                       for j, v in enumerate(keypoints.ravel())]))
    return dict(images=images, annotations=annotations, categories=_categories(metainfo))


def coco_to_joints(coco: dict, num_images: int) -> np.ndarray:
    """``(num_images, 14, 3)``: x, y and COCO visibility per image number, from a file of
    :func:`joints_to_coco` (or several merged); images without a person stay NaN."""
    out = np.full((num_images, LSP_NUM_JOINTS, 3), np.nan)
    for ann in coco['annotations']:
        out[ann['image_id'] - 1] = np.asarray(ann['keypoints'], np.float64).reshape(-1, 3)
    return out


def _fingerprint(mat: Path) -> str:
    return hashlib.sha1(mat.read_bytes()).hexdigest()


def _write_json_atomically(path: Path, content: dict) -> None:
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        tmp.write_text(json.dumps(content))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # left only when writing failed


def annotation_file(kind: str, split: str) -> str:
    """``annotations/<kind>_<split>.json``, relative to a converted folder."""
    return f'annotations/{kind}_{split}.json'


def find_converted(out_dir: Union[str, Path]) -> Optional[dict]:
    """The stamp of a finished conversion in ``out_dir`` (``None`` when there is none or
    a file it lists is missing)."""
    stamp = Path(out_dir) / STAMP_FILE
    try:
        info = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    files = [Path(out_dir) / f for f in info.get('files', {}).values()]
    return info if files and all(f.is_file() for f in files) else None


def convert_lsp(data_root: Union[str, Path], out_dir: Union[str, Path],
                margin: float = 0.1, link_images: bool = True,
                log=None) -> dict:
    """Convert a published LSP / LSP Extended folder into ``out_dir``.

    Writes ``out_dir/annotations/<kind>_<split>.json`` for every split of :data:`SPLITS`
    (each file atomically), an ``out_dir/images`` link to the published images (with
    ``link_images``), and ``out_dir/conversion.json`` last. Every check (the folder, the
    images, the place of the link) comes before the first write, and an earlier stamp is
    removed before any file is rewritten, so a run that fails half-way is never reused.
    A second call with the same ``joints.mat`` and settings reuses the files.

    Args:
        data_root: the published folder (``joints.mat``, ``images/``).
        out_dir: where the converted set goes (a config's ``data_root``).
        margin: box margin, a fraction of the joints' extent on every side.
        link_images: make ``out_dir/images`` a symbolic link to ``data_root/images``.
        log: called with progress lines (default: silent).

    Returns:
        dict: the stamp: ``kind``, ``num_people``, ``files`` (split -> annotation file
        relative to ``out_dir``), ``data_root``, ``margin``, ``people`` per split.

    Raises:
        LspDataError: the folder is not as published (see :func:`read_joints`), an image
            is missing or unreadable, or ``out_dir/images`` exists and is not the link.
    """
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    from hsjp_mmpose.config_paths import config_path
    if not 0 <= margin < 5:
        raise LspDataError(f'margin must be in [0, 5), got {margin!r}')
    data_root, out_dir = Path(data_root).resolve(), Path(out_dir)
    say = log or (lambda msg: None)
    joints, kind = read_joints(data_root)
    wanted = dict(format=_FORMAT_VERSION, kind=kind, data_root=str(data_root),
                  joints_sha1=_fingerprint(data_root / 'joints.mat'), margin=margin)
    done = find_converted(out_dir)
    if done and all(done.get(k) == v for k, v in wanted.items()) and (
            not link_images or _links_to(out_dir / 'images', data_root / 'images')):
        say(f'{_SET_NAMES[kind]}: reusing the converted files in {out_dir}')
        return done
    if link_images:  # refused before anything is written
        _check_link_place(data_root / 'images', out_dir / 'images')
    splits = SPLITS[kind]
    last = max(end for _, end in splits.values())
    if len(joints) < last:
        raise LspDataError(f'{data_root / "joints.mat"} holds {len(joints)} people; the '
                           f'{_SET_NAMES[kind]} split needs {last} ({splits}); use the '
                           'complete published file')
    say(f'{_SET_NAMES[kind]}: checking {len(joints)} images in {data_root / "images"}')
    sizes = _image_sizes(data_root / 'images', kind, len(joints))
    metainfo = parse_pose_metainfo(dict(from_file=str(config_path(LSP_METAINFO))))
    (out_dir / 'annotations').mkdir(parents=True, exist_ok=True)
    # the old stamp goes first: files half rewritten are never taken for a finished run
    (out_dir / STAMP_FILE).unlink(missing_ok=True)
    files, people = {}, {}
    for split, (first, end) in splits.items():
        coco = joints_to_coco(joints, kind, sizes, range(first, end + 1), metainfo, margin)
        files[split] = annotation_file(kind, split)
        people[split] = len(coco['annotations'])
        _write_json_atomically(out_dir / files[split], coco)
        say(f'{_SET_NAMES[kind]} {split}: {people[split]} people -> {out_dir / files[split]}')
    if link_images:
        _link_images(data_root / 'images', out_dir / 'images')
    stamp = dict(wanted, num_people=int(sum(people.values())), files=files, people=people)
    _write_json_atomically(out_dir / STAMP_FILE, stamp)
    return stamp


def _links_to(link: Path, images: Path) -> bool:
    return link.is_symlink() and link.resolve() == images.resolve()


def _check_link_place(images: Path, link: Path) -> None:
    if link.exists() and not link.is_symlink():
        raise LspDataError(f'{link} exists and is not a link to {images}; remove it or '
                           'convert into another folder')


def _link_images(images: Path, link: Path) -> None:
    _check_link_place(images, link)
    if link.is_symlink():
        if _links_to(link, images):
            return
        link.unlink()
    tmp = link.with_name(f'.{link.name}.{os.getpid()}.tmp')
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(images, target_is_directory=True)
    os.replace(tmp, link)
