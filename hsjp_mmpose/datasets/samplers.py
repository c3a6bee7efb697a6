# Copyright (c) hsjp-mmpose contributors.
"""A sampler that fixes the share of location-labelled samples in every batch.

With a fraction of location labels (``SelectLocationLabels``), a shuffled epoch gives each
batch about that fraction of labelled samples: 8 of 32 at 25%, so the heatmap loss sees a
quarter of the location supervision per step that the fully labelled run sees. Semi-
supervised recipes draw a fixed share of every batch from the labelled set instead (the
labelled samples repeat within an epoch, the unlabelled ones fill the rest).
"""
import math
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import DefaultSampler

from mmpose.registry import DATA_SAMPLERS
from .transforms.location_labels import SelectLocationLabels, location_label_mask


def _location_selection(dataset) -> Tuple[float, int]:
    """``(fraction, seed)`` of the ``SelectLocationLabels`` in ``dataset``'s pipeline."""
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', None)
    found = [t for t in transforms or [] if isinstance(t, SelectLocationLabels)]
    if len(found) != 1:
        raise ValueError(
            f'LocationLabelBalancedSampler needs exactly one SelectLocationLabels in the '
            f"training dataset's pipeline (it reads the fraction and seed there), found "
            f'{len(found)} in {type(dataset).__name__}; add it, or use DefaultSampler')
    return found[0].fraction, found[0].seed


def labelled_mask(dataset) -> np.ndarray:
    """(N, ) bool: which samples of a top-down dataset keep their location labels, as
    ``SelectLocationLabels`` in its pipeline will decide."""
    fraction, seed = _location_selection(dataset)
    img_ids, instance_ids = [], []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        img_ids.append(info['img_id'])
        instance_ids.append(info.get('id', info['img_id']))
    return location_label_mask(img_ids, instance_ids, fraction, seed)


def _cycled(pool: Sequence[int], count: int, generator: torch.Generator,
            shuffle: bool) -> List[int]:
    """``count`` items of ``pool``: whole passes in (re)shuffled order, then a part one."""
    out: List[int] = []
    while len(out) < count:
        order = torch.randperm(len(pool), generator=generator).tolist() if shuffle \
            else range(len(pool))
        out.extend(pool[i] for i in order)
    return out[:count]


@DATA_SAMPLERS.register_module()
class LocationLabelBalancedSampler(DefaultSampler):
    """``DefaultSampler`` whose epochs give every batch a fixed share of samples that
    keep their location labels.

    An epoch still has ``len(dataset)`` samples. Of every ``world_size`` consecutive
    positions (one per rank), slot ``j`` of each rank is labelled when
    ``floor((j + 1) * labelled_share)`` exceeds ``floor(j * labelled_share)``, so each
    rank's batches hold the share exactly (up to rounding). The labelled samples are drawn
    in reshuffled passes (they repeat when the share exceeds the labelled fraction), the
    unlabelled ones likewise. Which samples are labelled is read from the pipeline's
    ``SelectLocationLabels`` (its fraction and seed), so the two cannot disagree. When
    one group is empty, the other fills the epoch.

    Args:
        dataset: A top-down dataset whose pipeline holds one ``SelectLocationLabels``.
        labelled_share (float): Share in (0, 1] of each batch drawn from the labelled
            samples. Defaults to 0.5.
        shuffle (bool): Shuffle each group every pass. Defaults to ``True``.
        seed (int, optional): See ``DefaultSampler``.
        round_up (bool): See ``DefaultSampler``.
    """

    def __init__(self, dataset, labelled_share: float = 0.5, shuffle: bool = True,
                 seed: Optional[int] = None, round_up: bool = True) -> None:
        if not isinstance(labelled_share, (int, float)) or not 0 < labelled_share <= 1:
            raise ValueError('LocationLabelBalancedSampler: labelled_share must be in '
                             f'(0, 1], got {labelled_share!r}')
        super().__init__(dataset, shuffle=shuffle, seed=seed, round_up=round_up)
        self.labelled_share = float(labelled_share)
        mask = labelled_mask(dataset)
        self.labelled = np.flatnonzero(mask).tolist()
        self.unlabelled = np.flatnonzero(~mask).tolist()

    def _slot_is_labelled(self, position: int) -> bool:
        j = position // self.world_size
        return math.floor((j + 1) * self.labelled_share) > math.floor(j * self.labelled_share)

    def __iter__(self) -> Iterator[int]:
        size = len(self.dataset)
        if not self.labelled or not self.unlabelled:
            return super().__iter__()
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        labelled_slots = [self._slot_is_labelled(p) for p in range(size)]
        num_labelled = sum(labelled_slots)
        labelled = iter(_cycled(self.labelled, num_labelled, g, self.shuffle))
        unlabelled = iter(_cycled(self.unlabelled, size - num_labelled, g, self.shuffle))
        indices = [next(labelled) if slot else next(unlabelled) for slot in labelled_slots]
        if self.round_up:
            indices = (indices * int(self.total_size / len(indices) + 1))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])
