# Copyright (c) hsjp-mmpose contributors.
"""A top-down estimator whose predictions are root-relative 3D joints."""
from typing import Optional

from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import InstanceList, PixelDataList, SampleList


@MODELS.register_module()
class TopdownPose3DEstimator(TopdownPoseEstimator):
    """:class:`mmpose.models.TopdownPoseEstimator` for heads that predict 3D joints from a
    person crop (e.g. :class:`~hsjp_mmpose.models.heads.LocationMap3DHead`).

    Training, feature extraction and flip test are TopdownPoseEstimator's. Only the
    predictions' layout differs: the head gives 2D ``keypoints`` in the model input and
    ``keypoints_3d``; TopdownPoseEstimator maps the 2D keypoints to the image, then this
    class puts

    - ``keypoints``: the root-relative 3D joints (N, K, 3) in mm, which MMPose's ``MPJPE``
      metric compares with ``gt_instances.lifting_target``;
    - ``keypoints_2d``: the 2D keypoints (N, K, 2) in image pixels.

    (``TopdownPoseEstimator`` itself would treat the first two 3D coordinates as pixels of
    the crop and move them to the image; hence this class.)
    """

    def add_pred_to_datasample(self, batch_pred_instances: InstanceList,
                               batch_pred_fields: Optional[PixelDataList],
                               batch_data_samples: SampleList) -> SampleList:
        for pred_instances in batch_pred_instances:
            if 'keypoints_3d' not in pred_instances:
                raise KeyError(f'{type(self).__name__} needs a head that predicts keypoints_3d '
                               f'(e.g. LocationMap3DHead), got {type(self.head).__name__}')
        batch_data_samples = super().add_pred_to_datasample(
            batch_pred_instances, batch_pred_fields, batch_data_samples)
        for data_sample in batch_data_samples:
            pred_instances = data_sample.pred_instances
            pred_instances.keypoints_2d = pred_instances.keypoints
            pred_instances.keypoints = pred_instances.keypoints_3d
        return batch_data_samples
