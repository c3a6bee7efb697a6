# Copyright (c) hsjp-mmpose contributors.
"""A heatmap head that also predicts root-relative 3D joints (VNect-style location maps)."""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmcv.cnn import build_conv_layer
from mmengine.structures import InstanceData, PixelData
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, Features, OptConfigType, OptSampleList, Predictions
from torch import Tensor


@MODELS.register_module()
class LocationMap3DHead(HeatmapHead):
    """:class:`mmpose.models.heads.HeatmapHead` with 3K more output channels: per joint, a
    root-relative X, Y and Z location map (VNect, Mehta et al. 2017; codec:
    :class:`~hsjp_mmpose.codecs.LocationMap3D`).

    The layers are HeatmapHead's (``deconv_layers``, ``conv_layers``, ``final_layer``) with
    the same names and shapes except the final 1x1 layer, which has 4K outputs: channels
    ``[0, K)`` are the heatmaps, then the X, Y and Z blocks of K location maps each.
    A checkpoint of a HeatmapHead model (e.g. HSJP's ``transfer.pth``) therefore loads
    into everything but ``final_layer`` (whose input has two more channels with
    ``coordinate_channels``).

    Losses (both from the registry):

    - ``loss``: on the heatmaps, as HeatmapHead (``KeypointMSELoss`` with keypoint weights);
      logged as ``loss_kpt``;
    - ``location_loss``: on the location maps, per pixel, weighted by the ground-truth
      heatmap of the joint normalised to mean 1 over the map (so the loss is the
      Gaussian-weighted mean error around each joint, in location-map units, metres by
      default) times ``location_weights``; logged as ``loss_location``. Default
      ``L1Loss(use_target_weight=True)``. When the codec has a ``root_index``, the maps
      minus the root joints' maps (read with the root's ground-truth heatmap as weights)
      are compared with the targets, as decoding subtracts the root's value; people whose
      root joints have no weight are left out of this loss.

    With ``coordinate_channels`` (default) the final layer also sees each pixel's offset
    from the map's centre, in map pixels (two more input channels, as in CoordConv, Liu et
    al. 2018), so that location maps can follow the pixel's position linearly.

    ``predict`` returns, per sample, an ``InstanceData`` with

    - ``keypoints`` (1, K, 2): 2D keypoints in the model input (as every MMPose head), so
      that a plain ``TopdownPoseEstimator`` maps them to the image;
    - ``keypoints_3d`` (1, K, 3): root-relative 3D joints in mm (camera axes);
    - ``keypoint_scores`` (1, K): heatmap maxima.

    :class:`~hsjp_mmpose.models.pose_estimators.TopdownPose3DEstimator` moves
    ``keypoints_3d`` into ``keypoints``, where MMPose's ``MPJPE`` metric reads it. Flip test
    (``test_cfg.flip_test``) averages the flipped heatmaps as HeatmapHead does, and the
    flipped location maps with left and right swapped and X negated.

    Args:
        in_channels (int | Sequence[int]): channels of the input feature map
        out_channels (int): number of joints K
        deconv_out_channels, deconv_kernel_sizes, conv_out_channels, conv_kernel_sizes,
            final_layer: as :class:`HeatmapHead`
        loss (dict): heatmap loss. Defaults to ``KeypointMSELoss(use_target_weight=True)``
        location_loss (dict): location-map loss, called as
            ``loss(pred, target, pixel_weights)`` with tensors of shape (B, 3K, H, W).
            Defaults to ``L1Loss(use_target_weight=True)``
        coordinate_channels (bool): give the final layer the pixel coordinates.
            Defaults to True
        running_mean_pose (bool): the location maps predict the residual from the mean
            training pose: a running mean per joint of every training target seen (buffers
            ``final_layer.target_mean`` (K, 3), in location-map units, and
            ``final_layer.target_count`` (K,): task-specific like the final layer, so a
            pretrained checkpoint leaves them to this task), added to the X, Y, Z outputs
            at every pixel. Without it the final layer's biases must learn the mean pose
            (up to 0.9 m), which Adam at lr 1e-3 moves ~1e-3 a step
            (``configs/pose3d/README.md``). Defaults to True
        decoder (dict): a :class:`~hsjp_mmpose.codecs.LocationMap3D` codec config
        init_cfg (dict, optional): as :class:`HeatmapHead`
    """

    def __init__(self,
                 in_channels,
                 out_channels: int,
                 deconv_out_channels: Optional[Sequence[int]] = (256, 256, 256),
                 deconv_kernel_sizes: Optional[Sequence[int]] = (4, 4, 4),
                 conv_out_channels: Optional[Sequence[int]] = None,
                 conv_kernel_sizes: Optional[Sequence[int]] = None,
                 final_layer: dict = dict(kernel_size=1),
                 loss: ConfigType = dict(type='KeypointMSELoss', use_target_weight=True),
                 location_loss: ConfigType = dict(type='L1Loss', use_target_weight=True),
                 coordinate_channels: bool = True,
                 running_mean_pose: bool = True,
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if isinstance(out_channels, bool) or not isinstance(out_channels, int) \
                or out_channels < 1:
            raise ValueError(f'out_channels (the number of joints) must be an int >= 1, '
                             f'got {out_channels!r}')
        if final_layer is None:
            raise ValueError('LocationMap3DHead needs its final_layer (heatmaps and location '
                             'maps), got final_layer=None')
        super().__init__(
            in_channels=in_channels,
            out_channels=4 * out_channels,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            conv_out_channels=conv_out_channels,
            conv_kernel_sizes=conv_kernel_sizes,
            final_layer=final_layer,
            loss=loss,
            decoder=decoder,
            init_cfg=init_cfg)
        self.num_keypoints = out_channels
        self.coordinate_channels = bool(coordinate_channels)
        if self.coordinate_channels:
            # the final layer also sees the pixel's x and y (CoordConv)
            cfg = dict(type='Conv2d', in_channels=self.final_layer.in_channels + 2,
                       out_channels=4 * out_channels, kernel_size=1)
            cfg.update(final_layer)
            self.final_layer = build_conv_layer(cfg)
        self.running_mean_pose = bool(running_mean_pose)
        if self.running_mean_pose:
            # the mean training target (location-map units) and how many joints made it;
            # kept with the final layer (state-dict keys final_layer.target_mean/_count):
            # task-specific like it, so a pretrained checkpoint leaves both to this task
            self.final_layer.register_buffer('target_mean', torch.zeros(out_channels, 3))
            self.final_layer.register_buffer('target_count', torch.zeros(out_channels))
        self.location_loss_module = MODELS.build(location_loss)
        if self.decoder is not None and not hasattr(self.decoder, 'decode_keypoints_2d'):
            raise TypeError('LocationMap3DHead decodes with a LocationMap3D codec, got '
                            f'{type(self.decoder).__name__}')

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """(B, 4K, H, W): K heatmaps, then the X, Y and Z blocks of K location maps."""
        x = self.conv_layers(self.deconv_layers(feats[-1]))
        if self.coordinate_channels:
            batch, _, height, width = x.shape
            # offsets from the map's centre, in map pixels
            ys = torch.arange(height, dtype=x.dtype, device=x.device) - (height - 1) / 2
            xs = torch.arange(width, dtype=x.dtype, device=x.device) - (width - 1) / 2
            grid = torch.stack(torch.meshgrid(xs, ys, indexing='xy'))  # (2, H, W): x, y
            x = torch.cat([x, grid.expand(batch, -1, -1, -1)], dim=1)
        outputs = self.final_layer(x)
        if self.running_mean_pose:
            # the layer predicts the residual from the mean pose: (3, K) blocks X, Y, Z
            offset = torch.cat([torch.zeros_like(self.target_mean[:, 0]),
                                self.target_mean.t().reshape(-1)])
            outputs = outputs + offset.to(outputs.dtype).view(1, -1, 1, 1)
        return outputs

    @property
    def target_mean(self) -> Tensor:
        """The running mean training pose, (K, 3) in location-map units."""
        return self.final_layer.target_mean

    @property
    def target_count(self) -> Tensor:
        """How many training joints the running mean holds, (K,)."""
        return self.final_layer.target_count

    @torch.no_grad()
    def update_target_mean(self, location_targets: Tensor, target_weights: Tensor) -> None:
        """Fold a batch of targets (B, K, 3) with weights (B, K) into the running mean
        pose (a cumulative mean per joint over every training sample seen)."""
        weights = (target_weights > 0).to(self.target_mean.dtype)
        count = self.target_count + weights.sum(dim=0)
        total = (self.target_mean * self.target_count[:, None]
                 + (location_targets.to(self.target_mean.dtype) * weights[..., None]).sum(dim=0))
        self.target_mean.copy_(torch.where(count[:, None] > 0,
                                           total / count.clamp(min=1)[:, None],
                                           self.target_mean))
        self.target_count.copy_(count)

    def split_outputs(self, outputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Split the (B, 4K, H, W) output into heatmaps (B, K, H, W) and location maps
        (B, 3K, H, W)."""
        return outputs[:, :self.num_keypoints], outputs[:, self.num_keypoints:]

    @staticmethod
    def location_pixel_weights(gt_heatmaps: Tensor, location_weights: Tensor) -> Tensor:
        """Per-pixel weights of the location-map loss, shape (B, 3K, H, W): each joint's
        ground-truth heatmap scaled to mean 1 over the map, times its ``location_weights``
        (B, K), repeated for the X, Y and Z blocks."""
        height, width = gt_heatmaps.shape[-2:]
        mass = gt_heatmaps.sum(dim=(2, 3), keepdim=True).clamp(min=1e-6)
        weights = gt_heatmaps / mass * (height * width) * location_weights[:, :, None, None]
        return weights.repeat(1, 3, 1, 1)

    def _flip_back(self, outputs: Tensor, flip_indices: Sequence[int],
                   test_cfg: ConfigType) -> Tensor:
        """Outputs of the horizontally flipped input, brought back to the original."""
        num_keypoints = self.num_keypoints
        indices = [block * num_keypoints + i for block in range(4) for i in flip_indices]
        flipped = flip_heatmaps(outputs, flip_mode='heatmap', flip_indices=indices,
                                shift_heatmap=test_cfg.get('shift_heatmap', False))
        sign = torch.ones(4 * num_keypoints, dtype=flipped.dtype, device=flipped.device)
        sign[num_keypoints:2 * num_keypoints] = -1  # X of the mirrored person
        return flipped * sign.view(1, -1, 1, 1)

    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        if test_cfg.get('flip_test', False):
            if test_cfg.get('flip_mode', 'heatmap') != 'heatmap':
                raise ValueError("LocationMap3DHead supports flip_mode='heatmap' only, got "
                                 f"{test_cfg.get('flip_mode')!r}")
            assert isinstance(feats, list) and len(feats) == 2
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            _feats, _feats_flip = feats
            outputs = (self.forward(_feats)
                       + self._flip_back(self.forward(_feats_flip), flip_indices, test_cfg)) * 0.5
        else:
            outputs = self.forward(feats)

        heatmaps, location_maps = self.split_outputs(outputs)
        heatmaps_np, location_np = to_numpy(heatmaps), to_numpy(location_maps)
        preds = []
        for heatmap, location in zip(heatmaps_np, location_np):
            keypoints_3d, scores = self.decoder.decode(heatmap, location)
            keypoints_2d, _ = self.decoder.decode_keypoints_2d(heatmap)
            preds.append(InstanceData(keypoints=keypoints_2d.astype(np.float32),
                                      keypoints_3d=keypoints_3d,
                                      keypoint_scores=scores))
        if test_cfg.get('output_heatmaps', False):
            return preds, [PixelData(heatmaps=hm) for hm in heatmaps.detach()]
        return preds

    def loss(self,
             feats: Tuple[Tensor],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        gt_heatmaps = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        labels = [d.gt_instance_labels for d in batch_data_samples]
        keypoint_weights = torch.cat([label.keypoint_weights for label in labels])
        location_targets = torch.cat([label.location_targets for label in labels])  # B, K, 3
        location_weights = torch.cat([label.location_weights for label in labels])  # B, K
        if self.running_mean_pose and self.training:
            self.update_target_mean(location_targets, torch.cat([
                label.get('lifting_target_weight', label.location_weights) for label in labels]))
        heatmaps, location_maps = self.split_outputs(self.forward(feats))

        batch, num_keypoints, height, width = gt_heatmaps.shape
        # (B, K, 3) -> (B, 3K, H, W): the X, Y, Z blocks, each value over the whole map
        target_maps = location_targets.permute(0, 2, 1).reshape(batch, 3 * num_keypoints, 1, 1)
        target_maps = target_maps.expand(-1, -1, height, width)
        pixel_weights = self.location_pixel_weights(gt_heatmaps, location_weights)
        root_index = getattr(self.decoder, 'root_index', None)
        if root_index is not None:
            # the maps are trained up to a common offset per person: minus the root's maps
            # read at the root (Gaussian-weighted), as decoding reads them at the peaks
            read = (location_maps.view(batch, 3, num_keypoints, height, width)
                    * pixel_weights[:, :num_keypoints].unsqueeze(1)).mean(dim=(3, 4))
            root = read[:, :, root_index].mean(dim=2)  # (B, 3)
            root_ok = location_weights[:, root_index].min(dim=1).values > 0
            location_maps = location_maps - root.repeat_interleave(num_keypoints, dim=1)[
                :, :, None, None]
            pixel_weights = pixel_weights * root_ok[:, None, None, None]

        losses = dict(
            loss_kpt=self.loss_module(heatmaps, gt_heatmaps, keypoint_weights),
            loss_location=self.location_loss_module(location_maps, target_maps, pixel_weights))
        if train_cfg.get('compute_acc', True):
            _, avg_acc, _ = pose_pck_accuracy(
                output=to_numpy(heatmaps), target=to_numpy(gt_heatmaps),
                mask=to_numpy(keypoint_weights) > 0)
            losses.update(acc_pose=torch.tensor(avg_acc, device=gt_heatmaps.device))
        return losses
