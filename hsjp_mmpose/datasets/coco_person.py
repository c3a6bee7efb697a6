# Copyright (c) hsjp-mmpose contributors.
"""Every person box of a COCO-style annotation file, with or without keypoints."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmpose.datasets.datasets.body import CocoDataset
from mmpose.registry import DATASETS

from hsjp_mmpose.jigsaw import check_grid, jigsaw_metainfo
from .transforms.random_jigsaw import jigsaw_grid_of_pipeline

#: Joints per person in COCO keypoint annotations (placeholders for files without them).
COCO_NUM_KEYPOINTS = 17


@DATASETS.register_module()
class CocoPersonDataset(CocoDataset):
    """Person instances of a COCO-style file for self-supervised pretraining.

    Unlike :class:`mmpose.datasets.CocoDataset`, which keeps only people with annotated
    keypoints, this yields every non-crowd box of category ``category_id`` whose width and
    height are at least ``min_bbox_size`` pixels, including those with
    ``num_keypoints == 0``. Annotation files without keypoints (``instances_*.json``) work
    too. Parsing (boxes, image paths, ``raw_ann_info``) is ``CocoDataset``'s.

    With a jigsaw grid ``(rows, cols)`` the dataset's metainfo describes the K = rows*cols
    pretext keypoints of heatmap-style jigsaw puzzles instead of COCO's 17 joints
    (:func:`jigsaw_metainfo`: names ``patch_k``, identity flip indices, uniform sigmas),
    and each instance carries K placeholder keypoints that ``RandomJigsaw`` overwrites.
    The grid is that of the ``RandomJigsaw`` step of the dataset's own ``pipeline``, so a
    config states it once (on the transform); ``jigsaw_grid`` sets it explicitly (a
    dataset without such a step, or used alone) and must then agree with the step.

    Bad input (see :mod:`hsjp_mmpose.patches.data_errors`, which wraps the loading methods
    this class inherits): a missing or malformed ``ann_file`` raises an
    :class:`~hsjp_mmpose.patches.data_errors.AnnotationFileError` naming the file and the
    field at fault; degenerate boxes (zero width or height, wholly outside the image, not
    finite) are left out with a warning that names their annotation ids; an image that
    cannot be read raises an :class:`~hsjp_mmpose.patches.data_errors.ImageLoadError` naming
    the file and its image and annotation ids.

    Args:
        jigsaw_grid (tuple, optional): ``(rows, cols)`` of the puzzle. Defaults to None:
            the grid of the pipeline's ``RandomJigsaw`` step, or, without one, COCO's
            keypoint metainfo and annotations.
        min_bbox_size (float): minimum box width and height in pixels. Defaults to 32.
        category_id (int): category of people. Defaults to 1 (COCO's ``person``).
        **kwargs: the arguments of :class:`mmpose.datasets.CocoDataset` (``ann_file``,
            ``data_root``, ``data_prefix``, ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self,
                 *args,
                 jigsaw_grid: Optional[Sequence[int]] = None,
                 min_bbox_size: float = 32.,
                 category_id: int = 1,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if not isinstance(min_bbox_size, (int, float)) or min_bbox_size < 0:
            raise ValueError(f'min_bbox_size must be a number >= 0, got {min_bbox_size!r}')
        self.jigsaw_grid = _resolve_jigsaw_grid(jigsaw_grid, kwargs.get('pipeline'))
        self.min_bbox_size = float(min_bbox_size)
        self.category_id = category_id
        if self.jigsaw_grid is not None and metainfo is None:
            metainfo = jigsaw_metainfo(self.jigsaw_grid)
        super().__init__(*args, metainfo=metainfo, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        """Parse one annotation like ``CocoDataset``, keeping people without keypoints."""
        ann = raw_data_info['raw_ann_info']
        if ann.get('category_id', self.category_id) != self.category_id or 'bbox' not in ann:
            return None
        if 'keypoints' not in ann:
            ann = dict(ann, keypoints=[0] * 3 * COCO_NUM_KEYPOINTS,
                       num_keypoints=0)
            raw_data_info = dict(raw_data_info, raw_ann_info=ann)
        data_info = super().parse_data_info(raw_data_info)
        if data_info is None or self.jigsaw_grid is None:
            return data_info
        num = self.jigsaw_grid[0] * self.jigsaw_grid[1]
        data_info['keypoints'] = np.zeros((1, num, 2), dtype=np.float32)
        data_info['keypoints_visible'] = np.zeros((1, num), dtype=np.float32)
        return data_info

    def _is_person_box(self, data_info: Dict) -> bool:
        if data_info.get('iscrowd', 0):
            return False
        x1, y1, x2, y2 = data_info['bbox'][0]
        return min(x2 - x1, y2 - y1) >= max(self.min_bbox_size, 1e-6)

    def _get_topdown_data_infos(self, instance_list: List[Dict]) -> List[Dict]:
        """Keep every non-crowd person box of at least ``min_bbox_size``."""
        return [info for info in instance_list if self._is_person_box(info)]


def _resolve_jigsaw_grid(jigsaw_grid: Optional[Sequence[int]],
                         pipeline: Optional[Sequence]) -> Optional[Tuple[int, int]]:
    """``jigsaw_grid`` if given (checked against the pipeline's), else the pipeline's."""
    from_pipeline = jigsaw_grid_of_pipeline(pipeline)
    if jigsaw_grid is None:
        return from_pipeline
    grid = check_grid(tuple(jigsaw_grid))
    if from_pipeline is not None and from_pipeline != grid:
        raise ValueError(f'CocoPersonDataset: jigsaw_grid={grid} disagrees with the grid '
                         f'{from_pipeline} of the pipeline\'s RandomJigsaw step; drop '
                         'jigsaw_grid (the dataset reads the step\'s) or make them equal')
    return grid
