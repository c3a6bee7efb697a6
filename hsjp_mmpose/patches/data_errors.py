# Copyright (c) hsjp-mmpose contributors.
"""Clear errors for bad input data: unreadable images, broken annotation files, degenerate
boxes.

Stock MMPose reports these faults poorly:

- a missing or corrupt image fails in ``LoadImage`` with e.g. ``cv2.error: ... !buf.empty()
  ... occurs when loading `x.jpg`.Please check whether the file exists.``: no image or
  annotation id, no hint whether the file is missing, empty or undecodable;
- a missing annotation file is an ``AssertionError``; a truncated one a bare
  ``JSONDecodeError`` with no file name; a file without ``images`` or ``annotations`` (or
  whose every instance is filtered out) ends in mmengine's ``ValueError: need at least one
  array to concatenate``; an entry without ``file_name`` a bare ``KeyError``;
- boxes of zero width or height, or lying wholly outside their image, are dropped without a
  word in top-down mode, and a box with a non-finite coordinate is kept and reaches the
  pipeline as a NaN box (a NaN centre and scale for ``TopdownAffine`` and the targets).

Mechanism, and why: importing :mod:`hsjp_mmpose` (which every config of the plugin does
through ``custom_imports``) applies :mod:`hsjp_mmpose.patches`, whose ``data_errors`` patch
(:func:`install_data_checks`) wraps three methods of MMPose's own classes once:

- ``mmpose.datasets.transforms.LoadImage.transform``,
- ``BaseCocoStyleDataset._load_annotations`` (``CocoDataset``, :class:`CocoPersonDataset` and
  every COCO-style data set that does not override it),
- ``BaseCocoStyleDataset.load_data_list``.

A registered ``LoadImage`` subclass or data set subclass would reach only configs that name
it, and stock configs (``type='LoadImage'``, ``type='CocoDataset'``) would keep the poor
messages; a data-set level check of every image at load time would cost a ``stat`` (or a
decode) per image before training starts. The wrappers cost nothing when nothing is wrong:
the image and annotation wrappers only act when the wrapped method raises (they re-raise an
error naming the file, the image / annotation id or the field at fault, and how to mend
it, chained to the original error), plus a check of the annotation file's top-level keys and
a vectorised pass over the parsed boxes.

Each new error is also an instance of the type stock MMPose raised in the same case, so code
that catches the stock types still catches them (:mod:`hsjp_mmpose.patches.stock_errors`):

==============================================  =========================================
case                                            stock type -> new type
==============================================  =========================================
missing image                                   ``FileNotFoundError`` -> ImageNotFoundError
empty image (0 bytes)                           ``cv2.error`` -> ImageLoadError
undecodable image                               ``AssertionError`` -> ImageLoadError
missing annotation file                         ``AssertionError`` ->
                                                AnnotationFileNotFoundError
empty or truncated annotation file              ``json.JSONDecodeError`` ->
                                                AnnotationFileDecodeError
a field missing (``file_name``, ``image_id``)   ``KeyError`` -> AnnotationFieldError
a field of the wrong kind (``"bbox": null``)    ``TypeError`` -> AnnotationFileTypeError
a JSON list, not an object                      ``AssertionError`` -> AnnotationFormatError
no images / annotations, a 2-number ``bbox``    ``ValueError`` -> AnnotationFileError
==============================================  =========================================

Any other stock error (a folder where an image belongs, a file that is not UTF-8) is raised
as it was, with the diagnosis attached as a note.

The "How to mend it" of an image or annotation error ends with how to write the data set's
files again when a tool of this project writes them (:func:`data_set_hint`): the
generator's command (:data:`SYNTHETIC_HINT`) for its
``annotations/person_keypoints_{train,val}.json`` in a generated folder, the LSP
converter's (:data:`LSP_HINT`) for a converted LSP set; nothing for other data (COCO, ...),
which no tool here recreates.
"""
import fnmatch
import json
import logging
import os
import os.path as osp
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.fileio import exists, get_local_path
from mmengine.logging import print_log

from .stock_errors import raise_in_place_of

__all__ = ['ImageLoadError', 'ImageNotFoundError', 'AnnotationFileError',
           'AnnotationFileNotFoundError', 'AnnotationFileDecodeError', 'AnnotationFieldError',
           'AnnotationFileTypeError', 'AnnotationFormatError', 'DegenerateBox',
           'find_degenerate_boxes', 'find_coco_problem', 'data_set_hint',
           'data_checks_installed', 'install_data_checks', 'uninstall_data_checks']

#: How many annotation ids a warning or an error lists before "... (N more)".
MAX_IDS_SHOWN = 10

#: How to write the generated people again (:mod:`hsjp_mmpose.synthetic`).
SYNTHETIC_HINT = ('the generated people can be (re)generated with '
                  '`python tools/make_synthetic_coco.py --out <data_root> --num-train N '
                  '--num-val M`')
#: How to convert LSP / LSP Extended again (:mod:`hsjp_mmpose.datasets.converters.lsp`).
LSP_HINT = ('the LSP files can be (re)converted from the published set with '
            '`python tools/dataset_converters/lsp2coco.py --data-root <published LSP Extended '
            'folder> --out-dir <data_root>`')

#: The annotation files the generator (``generate_synthetic_coco``) writes in ``annotations/``.
_GENERATED_FILES = ('person_keypoints_train.json', 'person_keypoints_val.json')
#: The stamp ``ExperimentRunner.data()`` writes beside ``annotations/`` of a generated set.
_GENERATED_STAMP = 'generated.json'
#: The generator's ``info.description``, near the start of its annotation files.
_GENERATED_MARK = b'hsjp-mmpose synthetic people'
#: The names of the LSP converter's annotation files (``annotations/<kind>_<split>.json``).
_LSP_FILES = ('lspet_*.json', 'lsp_*.json')


class ImageLoadError(OSError, AssertionError, cv2.error):
    """An image of a data set cannot be read (empty, truncated or not an image).

    Also an ``AssertionError`` and a ``cv2.error``, what stock ``LoadImage`` raised for an
    undecodable and for an empty file."""


class ImageNotFoundError(ImageLoadError, FileNotFoundError):
    """An image listed in an annotation file does not exist."""


class AnnotationFileError(ValueError):
    """An annotation file is malformed: not JSON, a field missing or of the wrong kind.

    A ``ValueError``, as stock MMPose / mmengine raised for a file without images or
    annotations (``need at least one array to concatenate``) or a box of the wrong size.
    The subclasses below are also the other types stock MMPose raised."""


class AnnotationFileNotFoundError(AnnotationFileError, FileNotFoundError, AssertionError):
    """A data set's ``ann_file`` does not exist (an ``AssertionError`` in stock MMPose)."""


class AnnotationFileDecodeError(AnnotationFileError, json.JSONDecodeError):
    """An annotation file is not JSON (empty, cut short); also the stock
    ``json.JSONDecodeError``, with its ``msg``, ``doc``, ``pos``, ``lineno`` and ``colno``
    (those of the position 0 when it is built from a message alone)."""

    def __init__(self, message: str, error: Optional[json.JSONDecodeError] = None) -> None:
        ValueError.__init__(self, message)
        error = error or json.JSONDecodeError(message, '', 0)
        self.msg, self.doc, self.pos = error.msg, error.doc, error.pos
        self.lineno, self.colno = error.lineno, error.colno

    def __reduce__(self):
        return _rebuild_decode_error, (str(self), self.msg, self.doc, self.pos)


def _rebuild_decode_error(message: str, msg: str, doc: str, pos: int):
    """Unpickles an :class:`AnnotationFileDecodeError`."""
    return AnnotationFileDecodeError(message, json.JSONDecodeError(msg, doc, pos))


class AnnotationFieldError(AnnotationFileError, KeyError):
    """An image or annotation lacks a field (a ``KeyError`` in stock MMPose)."""

    __str__ = BaseException.__str__  # the message, not KeyError's repr of it


class AnnotationFileTypeError(AnnotationFileError, TypeError):
    """A field of an annotation file is of the wrong kind, e.g. a number where an object
    or a list belongs (a ``TypeError`` in stock MMPose)."""


class AnnotationFormatError(AnnotationFileError, AssertionError):
    """An annotation file is JSON but not a COCO-style object, e.g. a list (xtcocotools
    asserts ``annotation file format ... not supported``)."""


#: The class for a malformed file, by the type of the error stock MMPose raised.
_ANNOTATION_ERROR_CLASSES = ((KeyError, AnnotationFieldError),
                             (TypeError, AnnotationFileTypeError),
                             (AssertionError, AnnotationFormatError))


def _annotation_error_class(error: Optional[BaseException]) -> type:
    for stock, cls in _ANNOTATION_ERROR_CLASSES:
        if isinstance(error, stock):
            return cls
    return AnnotationFileError


# --------------------------------------------------------------------------- helpers

def _shorten(items: Sequence, limit: int = MAX_IDS_SHOWN) -> str:
    items = list(items)
    shown = ', '.join(str(item) for item in items[:limit])
    return shown + (f', ... ({len(items) - limit} more)' if len(items) > limit else '')


def _dataset_of(results: dict):
    """The data set a sample came from (``BaseCocoStyleDataset.prepare_data`` puts it
    into each sample), or None."""
    dataset = results.get('dataset')
    return dataset if hasattr(dataset, 'ann_file') else None


def _relative(path: str, root: Optional[str]) -> str:
    if root and path.startswith(str(root)):
        return path[len(str(root)):].lstrip('/') or path
    return path


def _where_dataset(dataset) -> str:
    """``CocoDataset(data_root='...', ann_file='...')``."""
    data_root = getattr(dataset, 'data_root', None) or ''
    ann_file = _relative(str(dataset.ann_file), data_root)
    return (f'{type(dataset).__name__}(data_root={data_root!r}, ann_file={ann_file!r})')


# --------------------------------------------------------------------------- (a) images

def describe_image_fault(path: Optional[str]) -> Tuple[str, bool]:
    """What is wrong with an image file that failed to load.

    Returns:
        tuple: ``(what, missing)``: a phrase (``'the file does not exist'``, ``'the file is
        empty (0 bytes)'``, ...) and whether the file is missing.
    """
    if not path:
        return 'the sample has no img_path', False
    path = str(path)
    if '://' in path:  # another storage backend: nothing to stat here
        return 'it could not be read through its storage backend', False
    if not osp.exists(path):
        folder = osp.dirname(path)
        if folder and not osp.isdir(folder):
            return f'the file does not exist, nor does its folder {folder}', True
        return 'the file does not exist', True
    if osp.isdir(path):
        return 'the path is a folder, not an image file', False
    try:
        size = osp.getsize(path)
        with open(path, 'rb') as file:
            head = file.read(8)
    except OSError as error:
        return f'the file cannot be read ({error.strerror or error})', False
    if size == 0:
        return 'the file is empty (0 bytes)', False
    return (f'the file ({size} bytes, starting with {head!r}) cannot be decoded as an image: '
            'it is truncated, corrupt or not an image'), False


def image_load_error(results: dict, error: BaseException) -> ImageLoadError:
    """The error :func:`install_data_checks`' ``LoadImage`` raises instead of ``error``."""
    path = results.get('img_path')
    what, missing = describe_image_fault(path)
    ids = []
    if results.get('img_id') is not None:
        ids.append(f'image id {results["img_id"]}')
    ann_id = results.get('id')
    if ann_id is not None and not (isinstance(ann_id, (list, tuple)) and not ann_id):
        shown = _shorten(ann_id) if isinstance(ann_id, (list, tuple)) else ann_id
        ids.append(f'annotation id {shown}')
    dataset = _dataset_of(results)
    source = f' of {_where_dataset(dataset)}' if dataset is not None else ''
    message = (f'Cannot load image {path}' + (f' ({", ".join(ids)})' if ids else '')
               + f'{source}: {what}.')
    img_id = results.get('img_id', '<id>')
    ann_file = str(dataset.ann_file) if dataset is not None else 'the annotation file'
    if missing:
        prefix = ''
        if dataset is not None:
            prefix = f' (here data_prefix={dict(getattr(dataset, "data_prefix", {}))!r})'
        mend = ('\nHow to mend it: the path is data_root + data_prefix["img"] + the image\'s '
                f'file_name in the annotation file{prefix}; point data_root / data_prefix at '
                f'the folder that holds the images, restore the file, or remove image {img_id} '
                f'and its annotations from {ann_file}{_hint_clause(dataset)}.')
    else:
        mend = (f'\nHow to mend it: copy or download the image again, or remove image '
                f'{img_id} and its annotations from {ann_file}{_hint_clause(dataset)}.')
    original = str(error).strip().splitlines()[0] if str(error).strip() else ''
    detail = f'\n  LoadImage said: {type(error).__name__}: {original[:300]}'
    cls = ImageNotFoundError if missing else ImageLoadError
    return cls(message + mend + detail)


# --------------------------------------------------------------------------- (b) annotation files

_IMAGE_FIELDS = ('id', 'file_name', 'width', 'height')
_ANNOTATION_FIELDS = ('id', 'image_id', 'category_id')


def find_coco_problem(data: Any, need_annotations: bool = True
                      ) -> Optional[Tuple[str, str]]:
    """The first thing that keeps ``data`` (a parsed COCO-style file) from loading.

    Returns:
        tuple | None: ``(field, what is wrong)``, e.g. ``('images[3].file_name', 'missing
        in the image with id 4')``; None when nothing is found.
    """
    if not isinstance(data, dict):
        return '<top level>', (f'is a JSON {type(data).__name__}, not an object with '
                               '"images" and "annotations" lists')
    keys = ('images', 'annotations') if need_annotations else ('images',)
    for key in keys:
        if key not in data:
            return key, (f'is missing (top-level keys: {sorted(data)})')
        if not isinstance(data[key], list):
            return key, f'is a {type(data[key]).__name__}, not a list'
    for index, image in enumerate(data['images']):
        if not isinstance(image, dict):
            return f'images[{index}]', f'is a {type(image).__name__}, not an object'
        for field in _IMAGE_FIELDS:
            if field not in image:
                return (f'images[{index}].{field}',
                        f'is missing in the image with id {image.get("id", "?")}')
    for index, ann in enumerate(data.get('annotations') or []):
        if not isinstance(ann, dict):
            return f'annotations[{index}]', f'is a {type(ann).__name__}, not an object'
        for field in _ANNOTATION_FIELDS:
            if field not in ann:
                return (f'annotations[{index}].{field}',
                        f'is missing in the annotation with id {ann.get("id", "?")}')
        bbox = ann.get('bbox')
        if bbox is not None and (not isinstance(bbox, (list, tuple)) or len(bbox) != 4):
            return (f'annotations[{index}].bbox',
                    f'of the annotation with id {ann["id"]} is {bbox!r}, not [x, y, w, h]')
        keypoints = ann.get('keypoints')
        if keypoints is not None and (not isinstance(keypoints, (list, tuple))
                                      or len(keypoints) % 3):
            count = len(keypoints) if isinstance(keypoints, (list, tuple)) else '?'
            return (f'annotations[{index}].keypoints',
                    f'of the annotation with id {ann["id"]} holds {count} numbers, not '
                    '3 per keypoint (x, y, visibility)')
    return None


def _need_annotations(dataset) -> bool:
    # Bottom-up testing on an image-info file (COCO test-dev) needs no "annotations".
    return not (getattr(dataset, 'test_mode', False)
                and getattr(dataset, 'data_mode', 'topdown') == 'bottomup')


def _starts_as_generated(path: Path) -> bool:
    try:
        with open(path, 'rb') as file:
            return _GENERATED_MARK in file.read(256)
    except OSError:
        return False


def data_set_hint(dataset) -> str:
    """How to write the files of ``dataset`` again, or ``''`` when no tool here does.

    - :data:`SYNTHETIC_HINT` for the generator's files
      (``annotations/person_keypoints_{train,val}.json``) in a folder that looks generated:
      a ``generated.json`` stamp beside ``annotations/`` (``ExperimentRunner.data()``), one
      of those files starting with the generator's ``info``, or no ``annotations/`` folder
      yet (nothing generated);
    - :data:`LSP_HINT` for ``annotations/lspet_*.json`` / ``lsp_*.json`` or any file of a
      folder with the converter's ``conversion.json`` stamp;
    - ``''`` otherwise (COCO and other real data, a remote ``ann_file``).

    ``<data_root>`` in the hint becomes the folder holding ``annotations/``.
    """
    ann_file = getattr(dataset, 'ann_file', None) if dataset is not None else None
    if not ann_file or '://' in str(ann_file):
        return ''
    from hsjp_mmpose.datasets.converters.lsp import STAMP_FILE as LSP_STAMP
    path = Path(str(ann_file))
    in_annotations = path.parent.name == 'annotations'
    data_root = getattr(dataset, 'data_root', None)
    root = path.parent.parent if in_annotations else Path(data_root or path.parent)
    folders = [root] + ([Path(data_root)] if data_root and Path(data_root) != root else [])

    stamped = [folder for folder in folders if (folder / LSP_STAMP).is_file()]
    if stamped or (in_annotations and any(fnmatch.fnmatch(path.name, pattern)
                                          for pattern in _LSP_FILES)):
        return LSP_HINT.replace('<data_root>', str((stamped or [root])[0]))
    if in_annotations and path.name in _GENERATED_FILES and (
            (root / _GENERATED_STAMP).is_file() or not path.parent.exists()
            or any(_starts_as_generated(path.parent / name) for name in _GENERATED_FILES)):
        return SYNTHETIC_HINT.replace('<data_root>', str(root))
    return ''


def _hint_clause(dataset) -> str:
    """``'; <hint>'`` for :func:`data_set_hint`, or ``''`` (also when a folder it looks
    at cannot be read: the hint never replaces the error it is for)."""
    try:
        hint = data_set_hint(dataset)
    except OSError:
        hint = ''
    return f'; {hint}' if hint else ''


def _annotation_mend(dataset) -> str:
    return ('\nHow to mend it: point data_root / ann_file at a COCO-style keypoint file '
            '(e.g. --cfg-options train_dataloader.dataset.data_root=path/to/data/), or write '
            f'the file again (a copy cut short, a file from another format)'
            f'{_hint_clause(dataset)}.')


def missing_annotation_file_error(dataset) -> AnnotationFileNotFoundError:
    folder = osp.dirname(str(dataset.ann_file))
    where = ('' if not folder or osp.isdir(folder)
             else f' (its folder {folder} does not exist either)')
    return AnnotationFileNotFoundError(
        f'Annotation file {dataset.ann_file} of {_where_dataset(dataset)} not found{where}.'
        '\nHow to mend it: point data_root and ann_file at an existing COCO-style annotation '
        'file (the path is data_root + ann_file; e.g. --cfg-options '
        'train_dataloader.dataset.data_root=path/to/data/), or create the data first'
        + _hint_clause(dataset) + '.')


def annotation_content_error(dataset, field: str, what: str,
                             error: Optional[BaseException] = None) -> AnnotationFileError:
    detail = f'\n  the loader said: {type(error).__name__}: {error}' if error else ''
    return _annotation_error_class(error)(
        f'Annotation file {dataset.ann_file} of {_where_dataset(dataset)} is malformed: '
        f'"{field}" {what}.' + _annotation_mend(dataset) + detail)


def _diagnose_annotation_error(dataset, error: BaseException) -> AnnotationFileError:
    """An error naming the file and the field at fault, for ``error`` raised while the
    annotation file was parsed."""
    ann_file = str(dataset.ann_file)
    if isinstance(error, json.JSONDecodeError):
        size, ending = None, ''
        try:
            size = os.path.getsize(ann_file)
            with open(ann_file, 'rb') as file:
                file.seek(max(0, size - 64))
                ending = file.read().decode('utf-8', 'replace').rstrip()
        except OSError:
            pass
        if size == 0:
            what = 'is empty (0 bytes)'
        else:
            what = (f'is not valid JSON: {error.msg} (line {error.lineno}, column '
                    f'{error.colno}, character {error.pos}'
                    + (f' of {size})' if size is not None else ')'))
            if size is not None and not ending.endswith(('}', ']')):
                what += ('; the file does not end with "}", so it was probably cut short '
                         'while being written or copied')
        return AnnotationFileDecodeError(
            f'Annotation file {ann_file} of {_where_dataset(dataset)} {what}.'
            + _annotation_mend(dataset), error)
    try:
        with get_local_path(ann_file) as local_path, open(local_path) as file:
            data = json.load(file)
    except Exception:  # noqa: BLE001 - keep the original error below
        data = None
    problem = find_coco_problem(data, _need_annotations(dataset)) if data is not None else None
    if problem is not None:
        return annotation_content_error(dataset, *problem, error=error)
    return _annotation_error_class(error)(
        f'Annotation file {ann_file} of {_where_dataset(dataset)} could not be parsed: '
        f'{type(error).__name__}: {error}.' + _annotation_mend(dataset))


# --------------------------------------------------------------------------- (c) boxes

class DegenerateBox(dict):
    """``{'ann_id', 'img_id', 'bbox' (raw [x, y, w, h]), 'reason'}``."""


def _box_reason(raw_bbox, img_size: Optional[Tuple[float, float]]) -> str:
    try:
        x, y, w, h = (float(v) for v in raw_bbox)
    except (TypeError, ValueError):
        return f'bbox {raw_bbox!r} is not four numbers'
    if not np.all(np.isfinite([x, y, w, h])):
        return 'a coordinate is not finite'
    if w <= 0 or h <= 0:
        return 'zero or negative width or height'
    size = f' ({img_size[0]}x{img_size[1]})' if img_size else ''
    return f'it lies outside the image{size}'


def find_degenerate_boxes(instance_list: List[dict]) -> List[int]:
    """Indices of the instances whose box (``[x1, y1, x2, y2]``, already clipped to the
    image by ``parse_data_info``) has zero width or height or a non-finite coordinate: a
    zero-size box, a box wholly outside its image, a NaN. See
    :func:`describe_degenerate_boxes` for why each is degenerate."""
    rows = [index for index, info in enumerate(instance_list)
            if isinstance(info.get('bbox'), np.ndarray) and info['bbox'].size == 4]
    if not rows:
        return []
    boxes = np.stack([instance_list[i]['bbox'].reshape(4) for i in rows]).astype(np.float64)
    with np.errstate(invalid='ignore'):
        bad = ~np.isfinite(boxes).all(axis=1) | (boxes[:, 2] - boxes[:, 0] <= 0) \
            | (boxes[:, 3] - boxes[:, 1] <= 0)
    return [rows[i] for i in np.flatnonzero(bad)]


def describe_degenerate_boxes(instance_list: List[dict], indices: Sequence[int],
                              image_list: Sequence[dict] = ()) -> List[DegenerateBox]:
    """A :class:`DegenerateBox` for each of ``instance_list[indices]``."""
    sizes = {img.get('img_id', img.get('id')): (img.get('width'), img.get('height'))
             for img in image_list if isinstance(img, dict)}
    found = []
    for index in indices:
        info = instance_list[index]
        raw = (info.get('raw_ann_info') or {}).get('bbox', info['bbox'].reshape(4).tolist())
        reason = _box_reason(raw, sizes.get(info.get('img_id')))
        found.append(DegenerateBox(ann_id=info.get('id'), img_id=info.get('img_id'),
                                   bbox=raw, reason=reason))
    return found


def _warn_degenerate(dataset, boxes: List[DegenerateBox], dropped: bool) -> None:
    shown = [f'annotation id {b["ann_id"]} (image id {b["img_id"]}, bbox {b["bbox"]}): '
             f'{b["reason"]}' for b in boxes[:MAX_IDS_SHOWN]]
    more = f'\n  ... ({len(boxes) - MAX_IDS_SHOWN} more)' if len(boxes) > MAX_IDS_SHOWN else ''
    action = ('skipped them' if dropped else
              'kept them (bottom-up mode masks invalid instances)')
    print_log(
        f'{_where_dataset(dataset)}: {len(boxes)} degenerate person box(es) in '
        f'{dataset.ann_file}; {action}, as a crop of such a box is NaN or empty:\n  '
        + '\n  '.join(shown) + more
        + '\nHow to mend it: fix or delete these annotations (a box is [x, y, width, '
          'height] in pixels of its image, with width and height > 0).',
        logger='current', level=logging.WARNING)


# --------------------------------------------------------------------------- installation

_INSTALLED_FLAG = '_hsjp_data_checks'


def _mark_wrapper(wrapper, original):
    """Give ``wrapper`` the original's docstring and mark it installed (idempotence)."""
    wrapper.__wrapped__ = original
    wrapper.__doc__ = original.__doc__
    setattr(wrapper, _INSTALLED_FLAG, True)
    return wrapper


def _wrap_load_image(original):
    def transform(self, results: dict):
        if not isinstance(results, dict) or 'img' in results:
            return original(self, results)  # an image in memory: no file to blame
        try:
            return original(self, results)
        except ImageLoadError:
            raise
        except Exception as error:
            raise_in_place_of(image_load_error(results, error), error)
    return _mark_wrapper(transform, original)


def _wrap_load_annotations(original):
    def _load_annotations(self):
        ann_file = str(self.ann_file)
        if not exists(ann_file):
            raise missing_annotation_file_error(self)
        try:
            instance_list, image_list = original(self)
        except AnnotationFileError:
            raise
        except Exception as error:
            raise_in_place_of(_diagnose_annotation_error(self, error), error)
        coco = getattr(self, 'coco', None)
        data = getattr(coco, 'dataset', None)
        if isinstance(data, dict):
            problem = None
            for key in ('images', 'annotations') if _need_annotations(self) else ('images',):
                if key not in data:
                    problem = (key, f'is missing (top-level keys: {sorted(data)})')
                elif not isinstance(data[key], list):
                    problem = (key, f'is a {type(data[key]).__name__}, not a list')
                if problem:
                    raise annotation_content_error(self, *problem)
            self._hsjp_ann_counts = (len(data['images']), len(data.get('annotations') or []))
        degenerate = find_degenerate_boxes(instance_list)
        if degenerate:
            drop = getattr(self, 'data_mode', 'topdown') == 'topdown'
            _warn_degenerate(self, describe_degenerate_boxes(instance_list, degenerate,
                                                             image_list), drop)
            if drop:
                skip = set(degenerate)
                instance_list = [info for i, info in enumerate(instance_list) if i not in skip]
        return instance_list, image_list
    return _mark_wrapper(_load_annotations, original)


def _wrap_load_data_list(original):
    def load_data_list(self):
        data_list = original(self)
        if not data_list and not getattr(self, 'bbox_file', None) \
                and getattr(self, 'serialize_data', False):
            # mmengine would fail with "need at least one array to concatenate".
            counts = getattr(self, '_hsjp_ann_counts', None)
            held = (f'it holds {counts[0]} images and {counts[1]} annotations, but '
                    if counts else '')
            raise AnnotationFileError(
                f'{_where_dataset(self)}: no sample left from {self.ann_file}: {held}no '
                f'annotation passes the filters of {type(self).__name__} '
                f'(data_mode={getattr(self, "data_mode", None)!r}: crowd boxes, people with '
                'num_keypoints == 0, degenerate boxes and, for CocoPersonDataset, boxes '
                'under min_bbox_size are left out).\nHow to mend it: point ann_file at a '
                'file with annotated people (person_keypoints_*.json for CocoDataset; '
                'CocoPersonDataset also takes instances_*.json), or relax the filters.')
        return data_list
    return _mark_wrapper(load_data_list, original)


def _targets() -> List[Tuple[type, str, Any]]:
    """``(class, method name, wrapper factory)`` of each wrapped method."""
    from mmpose.datasets.datasets.base import BaseCocoStyleDataset
    from mmpose.datasets.transforms import LoadImage
    return [(LoadImage, 'transform', _wrap_load_image),
            (BaseCocoStyleDataset, '_load_annotations', _wrap_load_annotations),
            (BaseCocoStyleDataset, 'load_data_list', _wrap_load_data_list)]


def install_data_checks() -> None:
    """Wrap MMPose's ``LoadImage.transform`` and ``BaseCocoStyleDataset``'s
    ``_load_annotations`` / ``load_data_list`` (once; see the module docstring)."""
    for cls, name, wrap in _targets():
        current = cls.__dict__[name]
        if not getattr(current, _INSTALLED_FLAG, False):
            setattr(cls, name, wrap(current))


def data_checks_installed() -> bool:
    """Whether the three methods are the wrapped ones."""
    return all(getattr(cls.__dict__[name], _INSTALLED_FLAG, False)
               for cls, name, _ in _targets())


def uninstall_data_checks() -> None:
    """Restore MMPose's own methods (idempotent)."""
    for cls, name, _ in _targets():
        current = cls.__dict__[name]
        if getattr(current, _INSTALLED_FLAG, False):
            setattr(cls, name, current.__wrapped__)
