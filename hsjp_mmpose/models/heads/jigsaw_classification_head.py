# Copyright (c) hsjp-mmpose contributors.
"""Classic jigsaw puzzles (Noroozi & Favaro, ECCV 2016): which permutation of a fixed set
shuffled the input?"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, Features, OptConfigType, OptSampleList, Predictions
from torch import Tensor, nn

from hsjp_mmpose.jigsaw import cell_centers, check_grid
from hsjp_mmpose.jigsaw import maximal_hamming_permutations

#: The metainfo key that holds a sample's class: the index of its permutation in the set.
LABEL_KEY = 'jigsaw_permutation_index'


@MODELS.register_module()
class JigsawClassificationHead(BaseHead):
    """Classify a shuffled input into one of the N permutations of a fixed set.

    The self-supervised baseline of HSJP: the same shuffled crops (``RandomJigsaw`` with
    ``permutations=N``, which writes the class ``jigsaw_permutation_index``), but one label
    per puzzle instead of one heatmap per patch. The backbone's last feature map is pooled
    (``pooling='global'``: one average over the whole map; ``'cell'``: one average per
    puzzle cell, concatenated in row-major cell order, as Noroozi & Favaro concatenate the
    features of the tiles in order), then an MLP (``hidden_channels``) or a single linear
    layer (``hidden_channels=None``) gives N logits. Nothing of it transfers to pose
    estimation: export the backbone alone (``ExportBackboneHook(exclude=('head.',))``).

    ``predict`` returns per sample an ``InstanceData`` with

        - ``permutation_index`` (np.int64 (1,)): the predicted class
        - ``permutation_scores`` (np.float32 (1, N)): softmax scores of all classes
        - ``keypoints`` (np.float32 (1, K, 2)): the centre of the cell where each patch of
          the predicted permutation sits, in model-input coordinates (the estimator maps
          them to the image), so that ``JigsawAccuracy`` and ``JigsawVisualizationHook``
          read a classifier's prediction as they read an HSJP heatmap head's
        - ``keypoint_scores`` (np.float32 (1, K)): the predicted class's score

    Args:
        in_channels (int | Sequence[int]): Channels of the backbone's last feature map (for
            a tuple, its last entry).
        num_permutations (int): N, the number of classes; equal to ``RandomJigsaw``'s
            ``permutations``.
        grid (tuple): ``(rows, cols)`` of the puzzle, as ``RandomJigsaw``'s.
        permutation_seed (int): ``RandomJigsaw``'s ``permutation_seed``, so that the head
            maps a class to the permutation the transform drew. Defaults to 0.
        pooling (str): ``'cell'`` or ``'global'`` (see above). Defaults to ``'cell'``,
            which learns much faster than the global average
            (``configs/jigsaw_cls/README.md``).
        hidden_channels (int, optional): Width of the MLP's hidden layer; ``None`` for a
            single linear layer. Defaults to 512.
        dropout (float): Dropout before the last linear layer. Defaults to 0.
        loss (dict): Config of the classification loss. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        init_cfg (dict, optional): Initialisation of the layers. Defaults to normal
            ``std=0.01`` linear weights.
    """

    _version = 1

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 num_permutations: int,
                 grid: Sequence[int],
                 permutation_seed: int = 0,
                 pooling: str = 'cell',
                 hidden_channels: Optional[int] = 512,
                 dropout: float = 0.,
                 loss: ConfigType = dict(type='CrossEntropyLoss'),
                 init_cfg: OptConfigType = None) -> None:
        if init_cfg is None:
            init_cfg = self.default_init_cfg
        super().__init__(init_cfg)
        if isinstance(in_channels, (list, tuple)):
            in_channels = in_channels[-1]
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) \
                or in_channels < 1:
            raise ValueError(f'in_channels must be a positive int, got {in_channels!r}')
        if pooling not in ('global', 'cell'):
            raise ValueError(f"pooling must be 'global' or 'cell', got {pooling!r}")
        if hidden_channels is not None and (isinstance(hidden_channels, bool) or not
                                            isinstance(hidden_channels, int)
                                            or hidden_channels < 1):
            raise ValueError(f'hidden_channels must be None or a positive int, '
                             f'got {hidden_channels!r}')
        if not 0 <= dropout < 1:
            raise ValueError(f'dropout must be in [0, 1), got {dropout!r}')
        self.grid = check_grid(grid)
        num_cells = self.grid[0] * self.grid[1]
        # Validates num_permutations (1 <= N <= K!) and is the set RandomJigsaw draws from.
        self.permutation_set = maximal_hamming_permutations(num_cells, num_permutations,
                                                            permutation_seed)
        self.in_channels = in_channels
        self.num_permutations = int(num_permutations)
        self.permutation_seed = int(permutation_seed)
        self.pooling = pooling

        features = in_channels * (num_cells if pooling == 'cell' else 1)
        layers = []
        if hidden_channels is not None:
            layers += [nn.Linear(features, hidden_channels), nn.ReLU(inplace=True)]
            features = hidden_channels
        if dropout > 0:
            layers.append(nn.Dropout(p=dropout))
        layers.append(nn.Linear(features, self.num_permutations))
        self.classifier = nn.Sequential(*layers)
        self.loss_module = MODELS.build(loss)

    @property
    def default_init_cfg(self):
        return [dict(type='Normal', layer=['Linear'], std=0.01, bias=0)]

    def forward(self, feats: Union[Tensor, Tuple[Tensor]]) -> Tensor:
        """Logits (B, N) from the last feature map (B, C, H, W) of ``feats``."""
        x = feats[-1] if isinstance(feats, (list, tuple)) else feats
        if self.pooling == 'cell':
            x = F.adaptive_avg_pool2d(x, self.grid)  # (B, C, rows, cols)
            x = x.permute(0, 2, 3, 1).flatten(1)  # cell-major: cell k's C features together
        else:
            x = x.mean(dim=(2, 3))
        return self.classifier(x)

    def _labels(self, batch_data_samples: OptSampleList, device) -> Tensor:
        labels = []
        for data_sample in batch_data_samples:
            if LABEL_KEY not in data_sample.metainfo:
                raise KeyError(f'{type(self).__name__} needs {LABEL_KEY!r} in the data '
                               f'samples: add it to PackPoseInputs(meta_keys=(...)) and use '
                               f'RandomJigsaw(permutations={self.num_permutations})')
            labels.append(int(data_sample.metainfo[LABEL_KEY]))
        labels = torch.as_tensor(labels, dtype=torch.long, device=device)
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_permutations):
            raise ValueError(
                f'{LABEL_KEY} must be in [0, {self.num_permutations}), got '
                f'{labels.tolist()}: -1 means RandomJigsaw drew from all permutations '
                f"(permutations='all'); set RandomJigsaw(permutations="
                f'{self.num_permutations}) with the head\'s grid and permutation_seed')
        return labels

    def loss(self,
             feats: Tuple[Tensor],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Cross-entropy of the logits against the permutation indices, and the top-1
        accuracy of the batch (``acc_permutation``, logged beside the loss)."""
        logits = self.forward(feats)
        labels = self._labels(batch_data_samples, logits.device)
        losses = dict(loss_jigsaw_cls=self.loss_module(logits, labels))
        with torch.no_grad():
            accuracy = (logits.argmax(dim=1) == labels).float().mean()
        losses.update(acc_permutation=accuracy)
        return losses

    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        """Predicted permutation index and class scores per sample (see the class
        docstring); ``test_cfg.flip_test`` must be off (a flipped puzzle is another one)."""
        if test_cfg.get('flip_test', False):
            raise ValueError(f'{type(self).__name__} does not support flip_test: a flipped '
                             'puzzle is another puzzle; set test_cfg=dict(flip_test=False)')
        scores = self.forward(feats).softmax(dim=1).detach().cpu().float().numpy()
        indices = scores.argmax(axis=1)
        preds = []
        for index, sample_scores, data_sample in zip(indices, scores, batch_data_samples):
            input_size = data_sample.metainfo.get('input_size')
            if input_size is None:
                raise KeyError(f'{type(self).__name__}.predict needs "input_size" in the '
                               'data samples (PackPoseInputs packs it by default)')
            centers = cell_centers(self.grid, tuple(input_size))
            keypoints = centers[self.permutation_set[index]][None]
            num_cells = keypoints.shape[1]
            preds.append(InstanceData(
                keypoints=keypoints.astype(np.float32),
                keypoint_scores=np.full((1, num_cells), sample_scores[index], np.float32),
                permutation_index=np.array([index], dtype=np.int64),
                permutation_scores=sample_scores[None].astype(np.float32)))
        return preds
