# Copyright (c) hsjp-mmpose contributors.
"""Root-relative 3D joints of a person crop, after the crop's flip and rotation."""
from typing import Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import get_warp_matrix

from hsjp_mmpose.codecs.location_map_3d import check_root_index

#: Pelvis of COCO's 17 keypoints: the midpoint of the left (11) and right (12) hips.
COCO_PELVIS = (11, 12)
#: Pelvis of Human3.6M's 17 joints: joint 0 ("root (pelvis)").
H36M_PELVIS = 0

#: Keys PackPoseInputs packs into ``gt_instances``: its defaults plus the 3D target that
#: MMPose's ``MPJPE`` metric reads.
INSTANCE_MAPPING_TABLE = dict(PackPoseInputs.instance_mapping_table,
                              lifting_target='lifting_target',
                              lifting_target_visible='lifting_target_visible')


@TRANSFORMS.register_module()
class GetRootRelativeKeypoints3D(BaseTransform):
    """Make the 3D target of a person crop: camera-frame joints minus the root joint,
    flipped and rotated like the crop.

    Put it after ``TopdownAffine`` (in training and validation pipelines alike) and before
    ``GenerateTarget``. What the crop augmentations did to the image is done to the 3D
    joints, so that the target matches what the network sees:

    - horizontal flip (``RandomFlip``): left and right joints swap (``flip_indices``) and X
      changes sign (vertical flip: Y; diagonal: both);
    - in-plane rotation (``RandomBBoxTransform``'s ``bbox_rotation``): X and Y turn by the
      rotation of ``TopdownAffine``'s warp, about the camera's optical axis.

    Both are exact for a crop centred on the principal point and close to it elsewhere.
    The root is the mean of the ``root_index`` joints (COCO order: the pelvis, midpoint of
    the hips, :data:`COCO_PELVIS`; Human3.6M: joint 0, :data:`H36M_PELVIS`); the root
    itself gets the target (0, 0, 0).

    It also sets ``instance_mapping_table`` so that ``PackPoseInputs`` puts
    ``lifting_target`` and ``lifting_target_visible`` into ``gt_instances``, where
    ``MPJPE`` reads them (PackPoseInputs' own keys stay in the table).

    Required Keys:

        - keypoints_3d (N, K, 3): camera-frame joints, in mm
        - flip_indices (when flipped)

    Optional Keys:

        - keypoints_3d_visible (N, K): 3D availability; all ones when absent
        - flip, flip_direction (``RandomFlip``)
        - bbox_rotation (N,) degrees (``RandomBBoxTransform``)

    Added Keys:

        - lifting_target (N, K, 3): root-relative joints in mm, float32
        - lifting_target_visible (N, K): availability, 0 for every joint of an instance
          whose root joints are not all available
        - instance_mapping_table

    Args:
        root_index (int | Sequence[int]): joint(s) whose mean is the root. Defaults to
            :data:`COCO_PELVIS`.
    """

    def __init__(self, root_index: Union[int, Sequence[int]] = COCO_PELVIS) -> None:
        super().__init__()
        self.root_index = check_root_index(root_index)

    def transform(self, results: dict) -> dict:
        if 'keypoints_3d' not in results:
            raise KeyError('GetRootRelativeKeypoints3D needs keypoints_3d (camera-frame joints '
                           'in mm): use a data set that provides them, e.g. '
                           'Keypoint3DCocoDataset or Human36mImageDataset')
        joints = np.array(results['keypoints_3d'], dtype=np.float32)
        if joints.ndim == 2:
            joints = joints[None]
        num_instances, num_keypoints = joints.shape[:2]
        if joints.shape[2] != 3:
            raise ValueError(f'keypoints_3d must have shape (N, K, 3), got {joints.shape}')
        if max(self.root_index) >= num_keypoints:
            raise ValueError(f'root_index {self.root_index} out of range for {num_keypoints} '
                             'joints')
        visible = results.get('keypoints_3d_visible')
        visible = (np.ones((num_instances, num_keypoints), dtype=np.float32) if visible is None
                   else np.array(visible, dtype=np.float32).reshape(num_instances, num_keypoints))

        if results.get('flip', False):
            direction = results.get('flip_direction')
            axes = {'horizontal': [0], 'vertical': [1], 'diagonal': [0, 1]}.get(direction)
            if axes is None:
                raise ValueError(f'unknown flip_direction {direction!r}')
            flip_indices = results['flip_indices']
            joints = joints[:, flip_indices]
            visible = visible[:, flip_indices]
            joints[..., axes] *= -1

        root = joints[:, self.root_index].mean(axis=1, keepdims=True)
        target = joints - root
        root_ok = visible[:, self.root_index].min(axis=1, keepdims=True) > 0
        visible = visible * root_ok

        if 'bbox_rotation' in results:
            for i, angle in enumerate(np.reshape(results['bbox_rotation'], -1)[:num_instances]):
                if angle:
                    target[i, :, :2] = target[i, :, :2] @ _crop_rotation(float(angle)).T

        results['lifting_target'] = target.astype(np.float32)
        results['lifting_target_visible'] = visible.astype(np.float32)
        results['instance_mapping_table'] = dict(
            results.get('instance_mapping_table', INSTANCE_MAPPING_TABLE),
            lifting_target='lifting_target', lifting_target_visible='lifting_target_visible')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(root_index={self.root_index})'


def _crop_rotation(angle: float) -> np.ndarray:
    """The 2x2 rotation that ``TopdownAffine``'s warp applies for ``bbox_rotation=angle``."""
    warp = get_warp_matrix(np.zeros(2, np.float32), np.ones(2, np.float32), angle,
                           output_size=(1, 1))
    linear = warp[:, :2].astype(np.float64)
    return linear / np.sqrt(abs(np.linalg.det(linear)))
