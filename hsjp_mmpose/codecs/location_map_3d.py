# Copyright (c) hsjp-mmpose contributors.
"""2D heatmaps plus root-relative 3D location maps (VNect-style) for 3D pose from one image."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmpose.codecs import MSRAHeatmap
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.codecs.utils import get_heatmap_maximum
from mmpose.registry import KEYPOINT_CODECS


def check_root_index(root_index: Union[int, Sequence[int]]) -> List[int]:
    """The root joints as a list: one joint index >= 0 or a non-empty sequence of them."""
    indices = [root_index] if isinstance(root_index, (int, np.integer)) else root_index
    try:
        indices = list(indices)
    except TypeError:
        indices = []
    if not indices or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) or i < 0
                          for i in indices):
        raise ValueError('root_index must be a joint index >= 0 or a non-empty sequence of '
                         f'them, got {root_index!r}')
    return [int(i) for i in indices]


@KEYPOINT_CODECS.register_module()
class LocationMap3D(BaseKeypointCodec):
    """Encode a person as K Gaussian heatmaps and K root-relative X/Y/Z targets; decode
    the 3D pose by reading 3K location maps at each heatmap's peak.

    This is the location-map representation of VNect (Mehta et al., SIGGRAPH 2017). The
    network predicts, beside the K heatmaps, three maps per joint whose value at every
    pixel is the joint's root-relative X, Y or Z; only pixels near the joint are trained
    (the loss is weighted by the ground-truth heatmap, see :class:`LocationMap3DHead`), and
    decoding reads the maps at the peak of the joint's heatmap. It needs nothing the test
    set lacks: no camera intrinsics and no root depth, only the crop.

    The encoded 3D target is the same value for every pixel, so the codec stores it once
    per joint (``location_targets``); the head broadcasts it over the map.

    With ``root_index`` (the root joints, as in :class:`GetRootRelativeKeypoints3D`), the
    maps need to be right only up to one common offset per person: decoding subtracts the
    root joints' values (read at their own peaks) from every joint, and the head's loss
    does the same with the maps read at the true root. A map that is a joint's position
    relative to the crop then works as well as a root-relative one: its 2D layout part
    becomes a linear function of the pixel's coordinates, which the head's coordinate
    channels make easy to learn (``configs/pose3d/README.md``). Without ``root_index``
    the maps hold the root-relative joints themselves (VNect's form).

    Coordinates: ``lifting_target`` is root-relative and in millimetres (as
    :class:`GetRootRelativeKeypoints3D` writes it), camera axes (X right, Y down, Z away
    from the camera). Location maps hold it divided by ``location_scale`` (by default
    metres, values of order 1, which suits the network's output); decoding multiplies it
    back, so decoded keypoints are in millimetres again.

    Note:
        - instance number: N (1: top-down)
        - keypoint number: K
        - input image size: [w, h]; heatmap size: [W, H]
        - location map channels: 3K, laid out as three blocks ``[X_0..X_{K-1},
          Y_0..Y_{K-1}, Z_0..Z_{K-1}]``

    Encoded:
        - heatmaps (np.ndarray): Gaussian heatmaps, shape (K, H, W)
        - keypoint_weights (np.ndarray): heatmap target weights, shape (N, K): 0 for joints
          that are invisible or fall outside the heatmap
        - location_targets (np.ndarray): root-relative 3D joints divided by
          ``location_scale``, shape (N, K, 3)
        - location_weights (np.ndarray): ``keypoint_weights`` times the 3D availability
          (``lifting_target_visible``), shape (N, K)
        - lifting_target_weight (np.ndarray): the 3D availability alone (1 or 0), shape
          (N, K), whether or not the joint is seen in 2D

    Args:
        input_size (tuple): input image size ``(w, h)``
        heatmap_size (tuple): heatmap size ``(W, H)``
        sigma (float): standard deviation of the Gaussian heatmaps, in heatmap pixels
        location_scale (float): millimetres per unit of the location maps. Defaults to
            1000 (location maps in metres)
        root_index (int | Sequence[int], optional): joints whose mean value decoding
            subtracts (COCO order: ``(11, 12)``, the hips; Human3.6M: 0). Defaults to None
            (no subtraction: the maps are root-relative)
    """

    auxiliary_encode_keys = {'lifting_target', 'lifting_target_visible'}
    field_mapping_table = dict(heatmaps='heatmaps')
    label_mapping_table = dict(keypoint_weights='keypoint_weights',
                               location_targets='location_targets',
                               location_weights='location_weights',
                               lifting_target_weight='lifting_target_weight')

    def __init__(self,
                 input_size: Sequence[int],
                 heatmap_size: Sequence[int],
                 sigma: float,
                 location_scale: float = 1000.,
                 root_index: Optional[Union[int, Sequence[int]]] = None) -> None:
        super().__init__()
        for name, size in (('input_size', input_size), ('heatmap_size', heatmap_size)):
            if len(size) != 2 or min(size) <= 0:
                raise ValueError(f'{name} must be (width, height) > 0, got {size!r}')
        if not sigma > 0:
            raise ValueError(f'sigma must be > 0, got {sigma!r}')
        if not location_scale > 0:
            raise ValueError(f'location_scale must be > 0, got {location_scale!r}')
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.sigma = sigma
        self.location_scale = float(location_scale)
        self.root_index = None if root_index is None else check_root_index(root_index)
        # the 2D part (heatmaps, their weights, 2D decoding) is MMPose's MSRAHeatmap
        self.heatmap_codec = MSRAHeatmap(input_size=input_size, heatmap_size=heatmap_size,
                                         sigma=sigma)

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None,
               lifting_target: Optional[np.ndarray] = None,
               lifting_target_visible: Optional[np.ndarray] = None) -> dict:
        """Encode one person.

        Args:
            keypoints (np.ndarray): 2D keypoints in the input image, shape (1, K, 2)
            keypoints_visible (np.ndarray, optional): 2D visibility, shape (1, K)
            lifting_target (np.ndarray): root-relative 3D joints in mm, shape (1, K, 3)
            lifting_target_visible (np.ndarray, optional): 3D availability, shape (1, K)

        Returns:
            dict: ``heatmaps``, ``keypoint_weights``, ``location_targets``,
            ``location_weights`` (see the class docstring).
        """
        if keypoints.shape[0] != 1:
            raise ValueError(f'{type(self).__name__} encodes one instance (top-down), got '
                             f'keypoints of shape {keypoints.shape}')
        num_keypoints = keypoints.shape[1]
        if lifting_target is None:
            raise ValueError('lifting_target (root-relative 3D joints) is missing: put '
                             'GetRootRelativeKeypoints3D before GenerateTarget in the pipeline')
        lifting_target = np.asarray(lifting_target, dtype=np.float32).reshape(1, -1, 3)
        if lifting_target.shape[1] != num_keypoints:
            raise ValueError(f'lifting_target has {lifting_target.shape[1]} joints, '
                             f'keypoints {num_keypoints}')
        if keypoints_visible is None:
            keypoints_visible = np.ones((1, num_keypoints), dtype=np.float32)
        if lifting_target_visible is None:
            lifting_target_visible = np.ones((1, num_keypoints), dtype=np.float32)

        encoded = self.heatmap_codec.encode(keypoints, keypoints_visible)
        heatmaps, keypoint_weights = encoded['heatmaps'], encoded['keypoint_weights']
        visible_3d = np.asarray(lifting_target_visible, dtype=np.float32).reshape(1, -1)
        location_weights = keypoint_weights * (visible_3d > 0)
        return dict(heatmaps=heatmaps,
                    keypoint_weights=keypoint_weights,
                    location_targets=(lifting_target / self.location_scale).astype(np.float32),
                    location_weights=location_weights.astype(np.float32),
                    lifting_target_weight=(visible_3d > 0).astype(np.float32))

    def decode(self, heatmaps: np.ndarray,
               location_maps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Read each joint's location maps at its heatmap maximum.

        Args:
            heatmaps (np.ndarray): shape (K, H, W)
            location_maps (np.ndarray): shape (3K, H, W) (X, Y, Z blocks)

        With ``root_index``, the mean of the root joints' values is subtracted.

        Returns:
            tuple:
            - keypoints (np.ndarray): root-relative 3D joints in mm, shape (1, K, 3)
            - scores (np.ndarray): heatmap maxima, shape (1, K)
        """
        num_keypoints, height, width = heatmaps.shape
        if location_maps.shape != (3 * num_keypoints, height, width):
            raise ValueError(f'location_maps must have shape {(3 * num_keypoints, height, width)}'
                             f' for heatmaps of shape {heatmaps.shape}, got {location_maps.shape}')
        peaks, scores = get_heatmap_maximum(heatmaps)  # (K, 2) x, y; -1 where all <= 0
        cols = np.clip(peaks[:, 0], 0, width - 1).astype(np.int64)
        rows = np.clip(peaks[:, 1], 0, height - 1).astype(np.int64)
        maps = location_maps.reshape(3, num_keypoints, height, width)
        joints = np.arange(num_keypoints)
        keypoints = maps[:, joints, rows, cols].T * self.location_scale  # (K, 3)
        if self.root_index is not None:
            keypoints = keypoints - keypoints[self.root_index].mean(axis=0)
        return keypoints[None].astype(np.float32), scores[None]

    def decode_keypoints_2d(self, heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """2D keypoints in the input image from the heatmaps (:class:`MSRAHeatmap`'s
        decoding).

        Args:
            heatmaps (np.ndarray): shape (K, H, W)

        Returns:
            tuple: keypoints of shape (1, K, 2) in input-image pixels, scores (1, K)
        """
        return self.heatmap_codec.decode(heatmaps)
