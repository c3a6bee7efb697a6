# Copyright (c) hsjp-mmpose contributors.
"""Person crops with camera-frame 3D joints: COCO-style files and Human3.6M's .npz files.

Both data sets give each top-down sample what ``GetRootRelativeKeypoints3D`` and MMPose's
``MPJPE`` metric need, in one unit (millimetres) and one frame (the camera's):

- ``keypoints_3d`` (1, K, 3) camera-frame joints in mm and ``keypoints_3d_visible``
  (1, K);
- ``target_img_path``: ``[name]``, a name of the form ``<subject>_<action>.<rest>``, from
  which ``MPJPE`` takes the action of its per-action results (``MPJPE_<action>``).
"""
import os.path as osp
from typing import Optional

import numpy as np
from mmpose.datasets.datasets.body import CocoDataset
from mmpose.datasets.datasets.body3d import Human36mDataset
from mmpose.registry import DATASETS



def mpjpe_image_name(file_name: str, action: Optional[str] = None,
                     subject: str = 'synthetic') -> str:
    """The name ``MPJPE`` parses as ``<subject>_<action>.<rest>`` for an image.

    With ``action`` (e.g. the generated people's ``pose_kind``): ``subject_action.file``,
    the action's underscores turned into hyphens (``MPJPE`` groups actions by the part
    before the first underscore). Without: the file's base name when it already has that
    form (Human3.6M's ``S1_Directions_1.54138969_000001.jpg``), else ``subject_all.file``.
    """
    base = osp.basename(file_name)
    if action is not None:
        return f'{subject}_{str(action).replace("_", "-")}.{base}'
    head, sep, rest = base.partition('_')
    if sep and head and '.' in rest:
        return base
    return f'{subject}_all.{base}'


@DATASETS.register_module()
class Keypoint3DCocoDataset(CocoDataset):
    """A COCO-style keypoint file whose annotations carry ``keypoints_3d``.

    The generated people (:mod:`hsjp_mmpose.synthetic`) are the first user:
    ``keypoints_3d`` is 17 x [X, Y, Z] in mm in the camera frame and each image has
    ``cam_param = {"f": [fx, fy], "c": [cx, cy]}``. Any COCO-style file of that kind works:
    ``keypoints_3d`` may be nested or flat, with 3 values per joint or 4 (the 4th: 3D
    availability, as in MMPose's Human3.6M COCO files), in any unit that
    ``keypoint_3d_scale`` turns into mm. The 3D joints must be in the camera frame (the
    frame the image shows): a file with world-frame joints gives targets the image cannot
    tell.

    Added to each sample (beside ``CocoDataset``'s keys):

        - keypoints_3d (np.ndarray): (1, K, 3) float32, mm, camera frame
        - keypoints_3d_visible (np.ndarray): (1, K) float32
        - camera_param (dict): ``f`` and ``c`` as float32 arrays of shape (2,), when the
          image has ``cam_param``
        - target_img_path (list[str]): :func:`mpjpe_image_name` of the image, with the
          annotation's ``pose_kind`` as the action when it has one

    Args:
        keypoint_3d_scale (float): factor from the file's 3D unit to mm. Defaults to 1 (the
            file is in mm); 1000 for a file in metres.
        **kwargs: the arguments of :class:`mmpose.datasets.CocoDataset`.
    """

    def __init__(self, *args, keypoint_3d_scale: float = 1., **kwargs) -> None:
        if not isinstance(keypoint_3d_scale, (int, float)) or not keypoint_3d_scale > 0:
            raise ValueError(f'keypoint_3d_scale must be a number > 0, got {keypoint_3d_scale!r}')
        self.keypoint_3d_scale = float(keypoint_3d_scale)
        super().__init__(*args, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        data_info = super().parse_data_info(raw_data_info)
        if data_info is None:
            return None
        ann, img = raw_data_info['raw_ann_info'], raw_data_info['raw_img_info']
        if 'keypoints_3d' not in ann:
            raise ValueError(f'annotation {ann.get("id")} of image {img.get("file_name")} in '
                             f'{self.ann_file} has no keypoints_3d: Keypoint3DCocoDataset needs '
                             '3D joints for every person with keypoints')
        num_keypoints = data_info['keypoints'].shape[1]
        values = np.asarray(ann['keypoints_3d'], dtype=np.float32)
        if values.size not in (3 * num_keypoints, 4 * num_keypoints):
            raise ValueError(f'annotation {ann.get("id")} in {self.ann_file}: keypoints_3d has '
                             f'{values.size} values, expected {num_keypoints} x 3 or x 4')
        values = values.reshape(1, num_keypoints, -1)
        data_info['keypoints_3d'] = values[..., :3] * self.keypoint_3d_scale
        data_info['keypoints_3d_visible'] = (
            values[..., 3] if values.shape[-1] == 4
            else np.ones((1, num_keypoints), dtype=np.float32))
        if 'cam_param' in img:
            data_info['camera_param'] = {
                key: np.asarray(img['cam_param'][key], dtype=np.float32).reshape(-1)
                for key in ('f', 'c')}
        data_info['target_img_path'] = [
            mpjpe_image_name(img['file_name'], ann.get('pose_kind'))]
        return data_info


@DATASETS.register_module()
class Human36mImageDataset(Human36mDataset):
    """Human3.6M frames as top-down person crops, from MMPose's body3d ``.npz`` files.

    The files are those MMPose's ``tools/dataset_converters/preprocess_h36m.py`` writes
    (``imgname``, ``center``, ``scale``, ``part``, ``S``; see MMPose's Human3.6M docs)
    and that :class:`mmpose.datasets.Human36mDataset` reads for 2D-to-3D lifting. This
    class reads them one frame per sample (``seq_len=1``) for a model that sees the
    image: each sample gets ``img_path`` (``data_prefix['img']`` + ``imgname``), a square
    ``bbox`` of side ``scale * 200`` around ``center`` (the box of MMPose's Human3.6M
    files), and the camera-frame joints ``S`` in mm. ``lifting_target`` is left to
    ``GetRootRelativeKeypoints3D`` (root: joint 0, the pelvis).

    Added to each sample (beside ``Human36mDataset``'s ``keypoints``,
    ``keypoints_visible``, ``target_img_path`` and so on):

        - img_path (str), img_id (int), bbox (1, 4) float32 ``x1, y1, x2, y2``,
          bbox_score (1,)
        - keypoints_3d (1, K, 3) float32 in mm; keypoints_3d_visible (1, K)

    Args:
        **kwargs: the arguments of :class:`mmpose.datasets.Human36mDataset`
            (``ann_file``, ``data_root``, ``data_prefix``, ``camera_param_file``,
            ``pipeline``, ``test_mode``, ...) but ``seq_len``, ``multiple_target`` and
            ``data_mode``, which are fixed (1, 0, ``'topdown'``).
    """

    def __init__(self, *args, **kwargs) -> None:
        for key, fixed in (('seq_len', 1), ('multiple_target', 0), ('data_mode', 'topdown')):
            if kwargs.get(key, fixed) != fixed:
                raise ValueError(f'Human36mImageDataset reads single frames: {key} must be '
                                 f'{fixed!r}, got {kwargs[key]!r}')
            kwargs[key] = fixed
        super().__init__(*args, **kwargs)

    def _load_annotations(self):
        instance_list, image_list = super()._load_annotations()
        for info in instance_list:
            name = str(info['img_paths'][0])
            center = np.asarray(info['center'], dtype=np.float32).reshape(2)
            half = float(info['scale']) * 200. / 2.
            info.update(
                img_path=osp.join(self.data_prefix['img'], name),
                img_id=int(np.reshape(info['img_ids'], -1)[0]),
                bbox=np.array([[center[0] - half, center[1] - half,
                                center[0] + half, center[1] + half]], dtype=np.float32),
                bbox_score=np.ones(1, dtype=np.float32),
                keypoints_3d=np.asarray(info['keypoints_3d'], np.float32) * 1000.,
                keypoints_3d_visible=np.asarray(info['keypoints_3d_visible'], np.float32),
                target_img_path=[mpjpe_image_name(name)])
            # The lifting target of Human36mDataset is absolute and in metres; this
            # pipeline's (GetRootRelativeKeypoints3D) is root-relative and in mm.
            info.pop('lifting_target', None)
            info.pop('lifting_target_visible', None)
        return instance_list, image_list
