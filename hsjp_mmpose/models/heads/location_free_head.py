# Copyright (c) hsjp-mmpose contributors.
"""Location-free pose estimation head (Xu et al., CVPR 2022).

Pose estimation recast as multi-label classification of keypoint presence: per-keypoint
class activation maps (CAMs), the similarity between each location's feature and a
keypoint prototype, are pooled into image-level logits; their peaks are the keypoints.
A heatmap loss on the CAMs of the instances that keep location labels makes it a
semi-supervised method.
"""
import math
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import Tensor, nn

from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import (ConfigType, Features, OptConfigType, OptSampleList,
                                 SampleList)
from .location_free import MultiScaleFeatureFusion

POOLING_MODES = ('gap', 'topk', 'lse')
SCORE_MODES = ('product', 'peak', 'presence')
SIMILARITIES = ('cosine', 'dot')


def pool_cams(cams: Tensor, mode: str = 'topk', topk_ratio: float = 0.05,
              lse_r: float = 5.) -> Tensor:
    """Pool CAMs into one value per keypoint.

    Args:
        cams (Tensor): CAMs in shape (B, K, H, W).
        mode (str): ``'gap'`` (global average), ``'topk'`` (mean of the top
            ``topk_ratio`` of the locations, at least one) or ``'lse'`` (log-sum-exp,
            ``(1/r) * log(mean(exp(r * x)))``, between average (r -> 0) and max).
        topk_ratio (float): Fraction of locations averaged by ``'topk'``.
        lse_r (float): Sharpness r of ``'lse'``.

    Returns:
        Tensor: Pooled values in shape (B, K).
    """
    flat = cams.flatten(2)
    if mode == 'gap':
        return flat.mean(-1)
    if mode == 'topk':
        k = max(1, int(round(topk_ratio * flat.shape[-1])))
        return flat.topk(k, dim=-1).values.mean(-1)
    if mode == 'lse':
        return (torch.logsumexp(lse_r * flat, dim=-1) - math.log(flat.shape[-1])) / lse_r
    raise ValueError(f'unknown pooling mode {mode!r}; use one of {POOLING_MODES}')


@MODELS.register_module()
class LocationFreeHead(BaseHead):
    """Location-free pose head: keypoint CAMs from prototypes, trained by presence labels.

    ``feats -> MultiScaleFeatureFusion -> context encoder -> context map F (B, D, H, W)``;
    ``F -> prototype generator -> prototypes P (B, K, D)``; ``CAM[k] = sim(E, P[k]) + b_k``
    where ``E`` is a 1x1 projection of F (initialised near zero, as ``HeatmapHead``'s final
    layer, so the CAMs start flat), and the presence logit of keypoint k is the pooled
    CAM through a positive per-keypoint affine map (initialised to ``5 * pooled``: a
    flat CAM means p = 0.5, a heatmap-like peak of 1 means p = 0.99). Either part can be
    switched off (``None``) for ablations: without the context encoder, F is the fused
    map; without the prototype generator, P are static learnable prototypes (a plain CAM
    classifier).

    Training (:meth:`loss`): multi-label BCE between logits and
    ``gt_instance_labels.keypoint_presence`` for every instance, or with
    ``presence_on_located=False`` only for those without location labels (and, with a
    context encoder, on its part maps, weighted ``part_loss_weight``); a heatmap loss between
    CAMs and ``gt_fields.heatmaps`` only for samples whose
    ``gt_instance_labels.has_location_label`` is 1 (all samples with heatmaps when the
    flag is absent). See ``GeneratePresenceLabels`` and ``SelectLocationLabels``. The
    head is top-down: each sample must hold exactly one instance (``ValueError``
    otherwise).

    Inference (:meth:`predict`): CAM peaks decoded by ``decoder`` (e.g. ``MSRAHeatmap``,
    with its sub-pixel refinement), flip test as in ``HeatmapHead``; keypoint scores
    combine peak value and presence probability (``score_mode``).

    Args:
        in_channels (int | Sequence[int]): Channels of the backbone outputs (all of
            them, finest first), e.g. ``(32, 64, 128, 256)`` for HRNet-W32 with
            ``multiscale_output=True``.
        num_keypoints (int): K.
        in_index (int | Sequence[int], optional): Backbone outputs to use; ``None``
            uses all. Defaults to ``None``.
        embed_dims (int): Channels D of the context map and prototypes. Defaults to 256.
        context_encoder (dict, optional): Config of the context encoder
            (``SpatialGuidedContextEncoder``); ``embed_dims`` and ``num_keypoints`` are
            filled in. ``None`` switches it off.
        prototype_generator (dict, optional): Config of the prototype generator
            (``RelationPrototypeGenerator``); ``embed_dims`` and ``num_keypoints`` are
            filled in. ``None`` means static prototypes.
        similarity (str): ``'dot'`` (scaled by 1/sqrt(D)) or ``'cosine'`` (times a
            learnable scale). Defaults to ``'dot'``.
        pooling (str): CAM pooling into logits, one of ``'gap'``, ``'topk'``,
            ``'lse'``. Defaults to ``'topk'``.
        topk_ratio (float): See :func:`pool_cams`. Defaults to 0.05.
        lse_r (float): See :func:`pool_cams`. Defaults to 5.
        loss_presence (dict): Presence loss on logits. Defaults to
            ``BCELoss()`` (on logits).
        loss_heatmap (dict): Location loss on CAMs. Defaults to
            ``KeypointMSELoss(use_target_weight=True)``.
        part_loss_weight (float): Weight of the presence loss on the context encoder's
            part maps. Defaults to 0.5.
        presence_on_located (bool): Apply the presence losses also to samples that
            take the heatmap loss. ``False`` keeps them to the weak-only samples: on
            located ones the BCE on top-k pooled CAMs competes with the heatmap loss
            and blurs the peaks (see ``configs/location_free/README.md``). Defaults
            to ``True`` (the paper's loss).
        presence_loss_input (str): What ``loss_presence`` compares with the presence
            labels: ``'logits'`` (the paper's BCE on logits) or ``'peaks'``, the pooled
            CAM values themselves, so that e.g. ``MSELoss`` asks for a peak of 1 where a
            keypoint is present (the heatmap targets' scale) and 0 everywhere where it is
            absent, and stops pushing once the peak is there. The part maps' loss is
            a BCE on their pooled logits either way (``loss_presence`` with
            ``'logits'``, plain BCE with ``'peaks'``), times ``part_loss_weight``.
            Defaults to ``'logits'``.
        score_mode (str): Keypoint score: ``'product'`` (peak clipped to [0, 1] times
            presence probability), ``'peak'`` or ``'presence'``. Defaults to
            ``'product'``.
        decoder (dict, optional): Codec that decodes CAMs into keypoints.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 num_keypoints: int,
                 in_index: Union[int, Sequence[int], None] = None,
                 embed_dims: int = 256,
                 context_encoder: OptConfigType = dict(type='SpatialGuidedContextEncoder'),
                 prototype_generator: OptConfigType = dict(
                     type='RelationPrototypeGenerator'),
                 similarity: str = 'dot',
                 pooling: str = 'topk',
                 topk_ratio: float = 0.05,
                 lse_r: float = 5.,
                 loss_presence: ConfigType = dict(type='BCELoss'),
                 loss_heatmap: ConfigType = dict(
                     type='KeypointMSELoss', use_target_weight=True),
                 part_loss_weight: float = 0.5,
                 presence_on_located: bool = True,
                 presence_loss_input: str = 'logits',
                 score_mode: str = 'product',
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        if pooling not in POOLING_MODES:
            raise ValueError(f'pooling must be one of {POOLING_MODES}, got {pooling!r}')
        if score_mode not in SCORE_MODES:
            raise ValueError(f'score_mode must be one of {SCORE_MODES}, got {score_mode!r}')
        if similarity not in SIMILARITIES:
            raise ValueError(f'similarity must be one of {SIMILARITIES}, '
                             f'got {similarity!r}')
        if not 0 < topk_ratio <= 1:
            raise ValueError(f'topk_ratio must be in (0, 1], got {topk_ratio}')
        if lse_r <= 0:
            raise ValueError(f'lse_r must be > 0, got {lse_r}')
        all_channels = [in_channels] if isinstance(in_channels, int) else list(in_channels)
        if in_index is None:
            in_index = list(range(len(all_channels)))
        elif isinstance(in_index, int):
            in_index = [in_index]
        if any(i >= len(all_channels) or i < -len(all_channels) for i in in_index):
            raise ValueError(f'in_index {in_index} out of range for in_channels '
                             f'{in_channels}')
        self.in_channels = in_channels
        self.in_index = list(in_index)
        self.num_keypoints = num_keypoints
        self.embed_dims = embed_dims
        self.similarity = similarity
        self.pooling = pooling
        self.topk_ratio = topk_ratio
        self.lse_r = lse_r
        self.part_loss_weight = part_loss_weight
        self.presence_on_located = presence_on_located
        if presence_loss_input not in ('logits', 'peaks'):
            raise ValueError("presence_loss_input must be 'logits' or 'peaks', got "
                             f'{presence_loss_input!r}')
        self.presence_loss_input = presence_loss_input
        self.score_mode = score_mode

        self.fusion = MultiScaleFeatureFusion([all_channels[i] for i in self.in_index],
                                              embed_dims)
        self.context_encoder = self._build_part(context_encoder)
        self.prototype_generator = self._build_part(prototype_generator)
        if self.prototype_generator is None:
            self.static_prototypes = nn.Parameter(
                torch.randn(num_keypoints, embed_dims) * 0.02)
        self.cam_projection = nn.Conv2d(embed_dims, embed_dims, 1)
        nn.init.normal_(self.cam_projection.weight, std=0.001)
        nn.init.zeros_(self.cam_projection.bias)
        if similarity == 'cosine':
            self.cam_log_scale = nn.Parameter(torch.zeros(()))
        self.cam_bias = nn.Parameter(torch.zeros(num_keypoints))
        self.logit_log_scale = nn.Parameter(torch.full((num_keypoints, ), math.log(5.)))
        self.logit_bias = nn.Parameter(torch.zeros(num_keypoints))

        self.loss_presence = MODELS.build(loss_presence)
        self.loss_heatmap = MODELS.build(loss_heatmap)
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder is not None else None

    def _build_part(self, cfg: OptConfigType) -> Optional[nn.Module]:
        if cfg is None:
            return None
        cfg = dict(cfg)
        cfg.setdefault('embed_dims', self.embed_dims)
        cfg.setdefault('num_keypoints', self.num_keypoints)
        return MODELS.build(cfg)

    def _forward(self, feats: Sequence[Tensor]) -> Dict[str, Optional[Tensor]]:
        """CAMs (B, K, H, W), logits (B, K), part maps (B, K, H, W) or ``None``."""
        x = self.fusion([feats[i] for i in self.in_index])
        part_logits = None
        if self.context_encoder is not None:
            x, part_logits = self.context_encoder(x)
        if self.prototype_generator is not None:
            protos = self.prototype_generator(x)
        else:
            protos = self.static_prototypes[None].expand(x.shape[0], -1, -1)
        emb = self.cam_projection(x)
        if self.similarity == 'cosine':
            sim = torch.einsum('bdhw,bkd->bkhw', F.normalize(emb, dim=1),
                               F.normalize(protos, dim=-1)) * self.cam_log_scale.exp()
        else:
            sim = torch.einsum('bdhw,bkd->bkhw', emb, protos) / math.sqrt(self.embed_dims)
        cams = sim + self.cam_bias[None, :, None, None]
        logits = self._cams_to_logits(cams)
        return dict(cams=cams, logits=logits, part_logits=part_logits)

    def _cams_to_logits(self, cams: Tensor) -> Tensor:
        pooled = pool_cams(cams, self.pooling, self.topk_ratio, self.lse_r)
        return pooled * self.logit_log_scale.exp() + self.logit_bias

    def forward(self, feats: Tuple[Tensor]) -> Tuple[Tensor, Tensor]:
        """Keypoint CAMs (B, K, H, W) and presence logits (B, K)."""
        out = self._forward(feats)
        return out['cams'], out['logits']

    def predict(self, feats: Features, batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> SampleList:
        """Keypoints from CAM peaks; scores from peaks and presence.

        Returns:
            list[InstanceData]: Per sample ``keypoints`` (1, K, 2) in input space and
            ``keypoint_scores`` (1, K); with ``test_cfg['output_heatmaps']`` also the
            CAMs as ``PixelData(heatmaps=...)`` (returned as ``(preds, fields)``).
        """
        if test_cfg.get('flip_test', False):
            if not (isinstance(feats, list) and len(feats) == 2):
                raise ValueError('flip test needs [features, flipped features]')
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            cams, logits = self.forward(feats[0])
            cams_flip, logits_flip = self.forward(feats[1])
            cams_flip = flip_heatmaps(
                cams_flip,
                flip_mode=test_cfg.get('flip_mode', 'heatmap'),
                flip_indices=flip_indices,
                shift_heatmap=test_cfg.get('shift_heatmap', False))
            cams = (cams + cams_flip) * 0.5
            logits = (logits + logits_flip[:, flip_indices]) * 0.5
        else:
            cams, logits = self.forward(feats)

        preds = self.decode(cams)
        presence = to_numpy(logits.sigmoid())
        for pred, prob in zip(preds, presence):
            pred.keypoint_scores = self.combine_scores(pred.keypoint_scores, prob[None])
        if test_cfg.get('output_heatmaps', False):
            fields = [PixelData(heatmaps=c) for c in cams.detach()]
            return preds, fields
        return preds

    def combine_scores(self, peaks, presence):
        """Keypoint scores (N, K) from CAM peak values and presence probabilities."""
        if self.score_mode == 'peak':
            return peaks
        if self.score_mode == 'presence':
            return presence.astype(peaks.dtype)
        return (peaks.clip(0, 1) * presence).astype(peaks.dtype)

    @staticmethod
    def _check_one_instance_per_sample(batch_data_samples: SampleList) -> None:
        """Raise if a sample does not hold exactly one instance (the head is top-down).

        CAMs, logits and ``gt_fields.heatmaps`` are per sample, while
        ``gt_instance_labels`` are per instance: they only line up with one instance
        per sample.
        """
        for i, d in enumerate(batch_data_samples):
            num = len(d.gt_instance_labels.keypoint_presence)
            if num != 1:
                raise ValueError(
                    f'LocationFreeHead is top-down: it needs one instance per sample, '
                    f'but sample {i} holds {num} instances; use a top-down dataset '
                    "(data_mode='topdown') so that each sample is one person crop")

    @staticmethod
    def _location_flags(batch_data_samples: SampleList, device) -> Tensor:
        """(B, ) bool: which samples (one instance each) take the location loss."""
        flags = []
        for d in batch_data_samples:
            labels = d.gt_instance_labels
            if 'has_location_label' in labels:
                flag = labels.has_location_label.reshape(-1)
                if flag.numel() != 1:
                    raise ValueError('LocationFreeHead is top-down: expected one '
                                     'has_location_label per sample, got '
                                     f'{flag.numel()}')
                flags.append(bool(flag[0] > 0))
            else:
                flags.append('gt_fields' in d and 'heatmaps' in d.gt_fields)
        return torch.tensor(flags, dtype=torch.bool, device=device)

    def _presence_loss(self, scores: Tensor, presence: Tensor, selected: Tensor,
                       loss_fn: Optional[Callable] = None) -> Tensor:
        """Presence loss (``loss_presence`` unless ``loss_fn`` is given) over the
        ``selected`` (B, ) samples; a zero that keeps the graph when none is selected."""
        loss_fn = loss_fn or self.loss_presence
        if not selected.any():
            return scores.sum() * 0.
        if not selected.all():
            scores, presence = scores[selected], presence[selected]
        return loss_fn(scores, presence)

    def loss(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Presence BCE on every instance, heatmap loss on those with locations."""
        out = self._forward(feats)
        cams, logits = out['cams'], out['logits']
        if any('keypoint_presence' not in d.gt_instance_labels for d in batch_data_samples):
            raise KeyError('LocationFreeHead needs gt_instance_labels.keypoint_presence: '
                           'add GeneratePresenceLabels to the pipeline (after '
                           'GenerateTarget, before PackPoseInputs)')
        self._check_one_instance_per_sample(batch_data_samples)
        presence = torch.cat(
            [d.gt_instance_labels.keypoint_presence for d in batch_data_samples]).to(logits)
        located = self._location_flags(batch_data_samples, cams.device)
        weak = torch.ones_like(located) if self.presence_on_located else ~located
        scores = logits if self.presence_loss_input == 'logits' else pool_cams(
            cams, self.pooling, self.topk_ratio, self.lse_r)
        losses = dict(loss_presence=self._presence_loss(scores, presence, weak))
        if out['part_logits'] is not None and self.part_loss_weight > 0:
            part = pool_cams(out['part_logits'], self.pooling, self.topk_ratio, self.lse_r)
            part_loss_fn = None if self.presence_loss_input == 'logits' else \
                F.binary_cross_entropy_with_logits
            losses['loss_part_presence'] = self.part_loss_weight * self._presence_loss(
                part, presence, weak, part_loss_fn)

        if located.any():
            idx = located.nonzero(as_tuple=True)[0]
            gt_heatmaps = torch.stack(
                [batch_data_samples[i].gt_fields.heatmaps for i in idx.tolist()]).to(cams)
            weights = torch.cat([
                batch_data_samples[i].gt_instance_labels.keypoint_weights
                for i in idx.tolist()
            ]).to(cams)
            if gt_heatmaps.shape != cams[idx].shape:
                raise ValueError(f'CAMs of shape {tuple(cams.shape[1:])} do not match '
                                 f'heatmaps of shape {tuple(gt_heatmaps.shape[1:])}: set '
                                 "the codec's heatmap_size to the finest input scale")
            losses['loss_heatmap'] = self.loss_heatmap(cams[idx], gt_heatmaps, weights)
            _, acc_pose, _ = pose_pck_accuracy(
                output=to_numpy(cams[idx]), target=to_numpy(gt_heatmaps),
                mask=to_numpy(weights) > 0)
            losses['acc_pose'] = torch.tensor(float(acc_pose), device=cams.device)
        else:
            # keep the graph (and the log keys) the same whether or not a batch has labels
            losses['loss_heatmap'] = cams.sum() * 0.
        acc = ((logits > 0) == (presence > 0.5)).float().mean()
        losses['acc_presence'] = acc.detach()
        return losses
