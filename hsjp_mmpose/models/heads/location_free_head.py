# Copyright (c) hsjp-mmpose contributors.
"""Location-free pose estimation head (Xu et al., CVPR 2022).

Pose estimation recast as multi-label classification of keypoint presence: per-keypoint
class activation maps (CAMs), the similarity between each location's feature and a
keypoint prototype, are pooled into image-level logits; their peaks are the keypoints.
A heatmap loss on the CAMs of the instances that keep location labels makes it a
semi-supervised method.
"""
import copy
import math
from typing import Dict, Optional, Sequence, Tuple, Union

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

SCORE_MODES = ('product', 'peak', 'presence')
SIMILARITIES = ('cosine', 'dot')
PRESENCE_INPUTS = ('logits', 'peaks')
REGION_INPUTS = ('cams', 'part_maps')
#: What ``presence_cfg`` holds; a key it leaves out keeps this value.
DEFAULT_PRESENCE_CFG = dict(
    loss=dict(type='BCELoss'),
    input='logits',
    on_located=True,
    part_loss=dict(type='BCELoss', loss_weight=0.5),
    region_loss=None,
    region_input='cams',
    pseudo_label_loss=None)


def _presence_settings(presence_cfg: OptConfigType) -> dict:
    """``presence_cfg`` over :data:`DEFAULT_PRESENCE_CFG`, checked."""
    cfg = dict(presence_cfg or {})
    unknown = sorted(set(cfg) - set(DEFAULT_PRESENCE_CFG))
    if unknown:
        raise ValueError(f'presence_cfg has unknown keys {unknown}; it takes '
                         f'{sorted(DEFAULT_PRESENCE_CFG)}')
    cfg = {**copy.deepcopy(DEFAULT_PRESENCE_CFG), **cfg}
    if cfg['input'] not in PRESENCE_INPUTS:
        raise ValueError(f'presence_cfg.input must be one of {PRESENCE_INPUTS}, '
                         f'got {cfg["input"]!r}')
    if cfg['region_input'] not in REGION_INPUTS:
        raise ValueError(f'presence_cfg.region_input must be one of {REGION_INPUTS}, '
                         f'got {cfg["region_input"]!r}')
    if cfg['loss'] is None:
        raise ValueError('presence_cfg.loss must be a loss config; to switch the presence '
                         'loss off set its loss_weight=0.')
    return cfg


@MODELS.register_module()
class LocationFreeHead(BaseHead):
    """Location-free pose head: keypoint CAMs from prototypes, trained by presence labels.

    ``feats -> MultiScaleFeatureFusion -> context encoder -> context map F (B, D, H, W)``;
    ``F -> prototype generator -> prototypes P (B, K, D)``; ``CAM[k] = sim(E, P[k]) + b_k``
    where ``E`` is a 1x1 projection of F (initialised near zero, as ``HeatmapHead``'s final
    layer, so the CAMs start flat), and the presence logit of keypoint k is the CAM pooled
    by ``cam_pooling`` through a positive per-keypoint affine map (initialised to
    ``5 * pooled``: a flat CAM means p = 0.5, a heatmap-like peak of 1 means p = 0.99).
    Either part can be switched off (``None``) for ablations: without the context
    encoder, F is the fused map; without the prototype generator, P are static learnable
    prototypes (a plain CAM classifier).

    Training (:meth:`loss`), one term per supervision:

    - presence (``presence_cfg``): ``presence_cfg.loss`` between the presence logits (or,
      with ``input='peaks'``, the pooled CAMs) and ``gt_instance_labels.keypoint_presence``;
      with a context encoder also ``presence_cfg.part_loss`` between its pooled part maps
      (logits) and the same labels. Both on every sample, or with ``on_located=False``
      only on those without location labels.
    - region presence (``presence_cfg.region_loss``, e.g. ``RegionPresenceLoss``): the
      CAMs (or, with ``region_input='part_maps'``, the part maps) read as location
      distributions against ``gt_instance_labels.region_boxes`` /
      ``region_presence`` (is keypoint k in box r; ``GenerateRegionPresenceLabels``), for
      the keypoints present in the input, on the same samples as the presence loss.
    - location: ``loss_heatmap`` between the CAMs and ``gt_fields.heatmaps`` only for
      samples whose ``gt_instance_labels.has_location_label`` is 1 (all samples with
      heatmaps when the flag is absent).

    See ``GeneratePresenceLabels`` and ``SelectLocationLabels``. The head is top-down:
    each sample must hold exactly one instance (``ValueError`` otherwise). To add a loss
    (e.g. another weak label), read its labels in :meth:`_loss_targets` and return its
    terms from a method like :meth:`_presence_losses`, called in :meth:`loss`.

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
        cam_pooling (dict): Config of the pooling of CAMs (and part maps) into one value
            per keypoint, built once: ``CAMPooling`` with ``mode`` ``'gap'``, ``'topk'``
            (``topk_ratio``) or ``'lse'`` (``lse_r``). Defaults to
            ``dict(type='CAMPooling', mode='topk', topk_ratio=0.05)``.
        presence_cfg (dict): The presence supervision; keys left out keep
            :data:`DEFAULT_PRESENCE_CFG`:

            - ``loss`` (dict): loss between ``input`` and the presence labels. Defaults
              to ``BCELoss()`` (on logits).
            - ``input`` (str): ``'logits'`` (the paper's BCE on logits) or ``'peaks'``,
              the pooled CAM values themselves, so that e.g. ``MSELoss`` asks for a peak
              of 1 where a keypoint is present (the heatmap targets' scale) and 0 where
              it is absent. Only ``loss`` reads it. Defaults to ``'logits'``.
            - ``part_loss`` (dict, optional): loss between the context encoder's pooled
              part maps (logits) and the presence labels, with its own ``loss_weight``;
              ``None`` switches it off. Defaults to ``BCELoss(loss_weight=0.5)``.
            - ``region_loss`` (dict, optional): loss between the CAMs (or the part maps,
              see ``region_input``) and the region presence labels
              (``RegionPresenceLoss``); ``None`` (the default) switches it off.
            - ``region_input`` (str): what ``region_loss`` reads: ``'cams'`` (the
              default) or ``'part_maps'``, the context encoder's part maps, so that the
              region labels shape the features and the saliency that guide the context
              while the CAMs are fitted by the heatmap loss alone.
            - ``pseudo_label_loss`` (dict, optional): self-training on the samples
              without location labels (``GatedPseudoHeatmapLoss``): the CAMs' own peaks
              as heatmap targets, kept where the presence and region labels agree,
              absent keypoints suppressed. Never on located samples. ``None`` (the
              default) switches it off.
            - ``on_located`` (bool): apply them also to the samples that take the
              heatmap loss. ``False`` keeps them to the weak-only samples: on located
              ones the BCE on top-k pooled CAMs competes with the heatmap loss and blurs
              the peaks (see ``configs/location_free/README.md``). Defaults to ``True``
              (the paper's loss).
        loss_heatmap (dict): Location loss on CAMs. Defaults to
            ``KeypointMSELoss(use_target_weight=True)``.
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
                 cam_pooling: ConfigType = dict(
                     type='CAMPooling', mode='topk', topk_ratio=0.05),
                 presence_cfg: OptConfigType = None,
                 loss_heatmap: ConfigType = dict(
                     type='KeypointMSELoss', use_target_weight=True),
                 score_mode: str = 'product',
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        if score_mode not in SCORE_MODES:
            raise ValueError(f'score_mode must be one of {SCORE_MODES}, got {score_mode!r}')
        if similarity not in SIMILARITIES:
            raise ValueError(f'similarity must be one of {SIMILARITIES}, '
                             f'got {similarity!r}')
        presence = _presence_settings(presence_cfg)
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
        self.score_mode = score_mode
        self.cam_pooling = MODELS.build(cam_pooling)
        self.presence_input = presence['input']
        self.presence_on_located = bool(presence['on_located'])
        self.region_input = presence['region_input']
        if self.region_input == 'part_maps' and context_encoder is None:
            raise ValueError("presence_cfg.region_input='part_maps' needs a context "
                             'encoder (its part maps); set context_encoder or '
                             "region_input='cams'")

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

        self.loss_presence = MODELS.build(presence['loss'])
        self.loss_part_presence = MODELS.build(presence['part_loss']) \
            if presence['part_loss'] is not None else None
        self.loss_region = MODELS.build(presence['region_loss']) \
            if presence['region_loss'] is not None else None
        self.loss_pseudo = MODELS.build(presence['pseudo_label_loss']) \
            if presence['pseudo_label_loss'] is not None else None
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
        return self.cam_pooling(cams) * self.logit_log_scale.exp() + self.logit_bias

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

    def _loss_targets(self, batch_data_samples: SampleList, cams: Tensor) -> Dict[str, Tensor]:
        """The labels the loss terms read, once per batch: ``presence`` (B, K), which
        samples take the location loss (``located``, (B, ) bool) and the presence losses
        (``presence_samples``, (B, ) bool), and, when the samples carry them (they must
        with ``presence_cfg.region_loss``), ``region_boxes`` (B, R, 4) and
        ``region_presence`` (B, R, K)."""
        if any('keypoint_presence' not in d.gt_instance_labels for d in batch_data_samples):
            raise KeyError('LocationFreeHead needs gt_instance_labels.keypoint_presence: '
                           'add GeneratePresenceLabels to the pipeline (after '
                           'GenerateTarget, before PackPoseInputs)')
        self._check_one_instance_per_sample(batch_data_samples)
        presence = torch.cat(
            [d.gt_instance_labels.keypoint_presence for d in batch_data_samples]).to(cams)
        located = self._location_flags(batch_data_samples, cams.device)
        presence_samples = torch.ones_like(located) if self.presence_on_located else ~located
        targets = dict(presence=presence, located=located, presence_samples=presence_samples)
        has_regions = all('region_boxes' in d.gt_instance_labels and
                          'region_presence' in d.gt_instance_labels
                          for d in batch_data_samples)
        if self.loss_region is not None or has_regions:
            for key in ('region_boxes', 'region_presence'):
                if not has_regions:
                    raise KeyError(f'presence_cfg.region_loss needs gt_instance_labels.{key}: '
                                   'add GenerateRegionPresenceLabels to the pipeline (after '
                                   'GenerateTarget, before PackPoseInputs)')
                targets[key] = torch.cat(
                    [d.gt_instance_labels[key] for d in batch_data_samples]).to(cams)
        return targets

    @staticmethod
    def _selected_loss(loss_fn: nn.Module, scores: Tensor, labels: Tensor,
                       selected: Tensor) -> Tensor:
        """``loss_fn`` over the ``selected`` (B, ) samples; a zero that keeps the graph
        when none is selected."""
        if not selected.any():
            return scores.sum() * 0.
        if not selected.all():
            scores, labels = scores[selected], labels[selected]
        return loss_fn(scores, labels)

    def _presence_losses(self, out: Dict[str, Optional[Tensor]],
                         targets: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """``loss_presence``; with part maps ``loss_part_presence``; with region labels
        ``loss_region``."""
        presence, selected = targets['presence'], targets['presence_samples']
        scores = out['logits'] if self.presence_input == 'logits' else \
            self.cam_pooling(out['cams'])
        losses = dict(
            loss_presence=self._selected_loss(self.loss_presence, scores, presence, selected))
        if out['part_logits'] is not None and self.loss_part_presence is not None:
            losses['loss_part_presence'] = self._selected_loss(
                self.loss_part_presence, self.cam_pooling(out['part_logits']), presence,
                selected)
        if self.loss_region is not None:
            weights = presence * selected[:, None].to(presence)
            maps = out['cams'] if self.region_input == 'cams' else out['part_logits']
            losses['loss_region'] = self.loss_region(
                maps, targets['region_boxes'], targets['region_presence'], weights)
        if self.loss_pseudo is not None:
            losses.update(self._pseudo_label_losses(out['cams'], targets))
        return losses

    def _pseudo_label_losses(self, cams: Tensor, targets: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """``loss_pseudo`` on the samples without location labels, and ``pseudo_kept``
        (share of their present keypoints that got a pseudo target)."""
        weak = ~targets['located']
        if not weak.any():
            return dict(loss_pseudo=cams.sum() * 0.,
                        pseudo_kept=torch.zeros((), device=cams.device))
        regions = [targets[k][weak] if k in targets else None
                   for k in ('region_boxes', 'region_presence')]
        presence = targets['presence'][weak]
        pseudo = self.loss_pseudo.targets(cams[weak], presence, *regions)
        share = pseudo['kept'].float().sum() / (presence > 0.5).float().sum().clamp(min=1.)
        return dict(loss_pseudo=self.loss_pseudo.loss_from_targets(cams[weak], pseudo),
                    pseudo_kept=share.detach())

    def _location_losses(self, out: Dict[str, Optional[Tensor]], targets: Dict[str, Tensor],
                         batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """``loss_heatmap`` on the located samples (and their ``acc_pose``)."""
        cams, located = out['cams'], targets['located']
        if not located.any():
            # keep the graph (and the log keys) the same whether or not a batch has labels
            return dict(loss_heatmap=cams.sum() * 0.)
        idx = located.nonzero(as_tuple=True)[0]
        gt_heatmaps = torch.stack(
            [batch_data_samples[i].gt_fields.heatmaps for i in idx.tolist()]).to(cams)
        weights = torch.cat([
            batch_data_samples[i].gt_instance_labels.keypoint_weights for i in idx.tolist()
        ]).to(cams)
        if gt_heatmaps.shape != cams[idx].shape:
            raise ValueError(f'CAMs of shape {tuple(cams.shape[1:])} do not match '
                             f'heatmaps of shape {tuple(gt_heatmaps.shape[1:])}: set '
                             "the codec's heatmap_size to the finest input scale")
        losses = dict(loss_heatmap=self.loss_heatmap(cams[idx], gt_heatmaps, weights))
        _, acc_pose, _ = pose_pck_accuracy(
            output=to_numpy(cams[idx]), target=to_numpy(gt_heatmaps),
            mask=to_numpy(weights) > 0)
        losses['acc_pose'] = torch.tensor(float(acc_pose), device=cams.device)
        return losses

    def loss(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Presence losses (see ``presence_cfg``), heatmap loss on the located samples,
        and ``acc_presence`` (share of presence labels the logits get right)."""
        out = self._forward(feats)
        targets = self._loss_targets(batch_data_samples, out['cams'])
        losses = self._presence_losses(out, targets)
        losses.update(self._location_losses(out, targets, batch_data_samples))
        acc = ((out['logits'] > 0) == (targets['presence'] > 0.5)).float().mean()
        losses['acc_presence'] = acc.detach()
        return losses
