# Copyright (c) hsjp-mmpose contributors.
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from hsjp_mmpose.datasets.samplers import LocationLabelBalancedSampler, labelled_mask
from hsjp_mmpose.datasets.transforms.location_labels import location_label_mask
from mmpose.registry import DATA_SAMPLERS


class _Pipeline:
    def __init__(self, transforms):
        self.transforms = transforms


class _TopdownDataset:
    """What the sampler reads of a top-down dataset: length, data infos, pipeline."""

    def __init__(self, num, fraction=0.25, seed=3, with_selection=True):
        from hsjp_mmpose.datasets.transforms.location_labels import SelectLocationLabels
        self.infos = [dict(img_id=100 + i // 2, id=1000 + i) for i in range(num)]
        self.pipeline = _Pipeline([SelectLocationLabels(fraction, seed)]
                                  if with_selection else [])

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, i):
        return self.infos[i]


def test_labelled_mask_matches_the_pipeline_transform():
    dataset = _TopdownDataset(200, fraction=0.25, seed=3)
    expected = location_label_mask([d['img_id'] for d in dataset.infos],
                                   [d['id'] for d in dataset.infos], 0.25, 3)
    np.testing.assert_array_equal(labelled_mask(dataset), expected)
    assert 0.15 < expected.mean() < 0.35


@pytest.mark.parametrize('share', [0.5, 0.25, 0.75])
def test_every_batch_holds_the_labelled_share(share):
    dataset = _TopdownDataset(400)
    mask = labelled_mask(dataset)
    sampler = LocationLabelBalancedSampler(dataset, labelled_share=share, seed=0)
    indices = list(sampler)
    assert len(indices) == len(sampler) == len(dataset)
    for start in range(0, 384, 32):
        batch = indices[start:start + 32]
        assert mask[batch].sum() == round(32 * share)
    # every unlabelled sample appears at most once; labelled ones are all used
    unlabelled = [i for i in indices if not mask[i]]
    assert len(set(unlabelled)) == len(unlabelled)
    assert set(i for i in indices if mask[i]) == set(np.flatnonzero(mask))


def test_epochs_reshuffle_and_are_reproducible():
    dataset = _TopdownDataset(200)
    sampler = LocationLabelBalancedSampler(dataset, seed=5)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    assert list(sampler) != first
    assert list(LocationLabelBalancedSampler(dataset, seed=5)) == first


def test_ranks_split_positions_and_each_keeps_the_share(monkeypatch):
    import hsjp_mmpose.datasets.samplers  # noqa: F401
    from mmengine.dataset import sampler as sampler_module
    dataset = _TopdownDataset(256)
    mask = labelled_mask(dataset)
    per_rank = []
    for rank in range(2):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda r=rank: (r, 2))
        per_rank.append(list(LocationLabelBalancedSampler(dataset, seed=0)))
    for indices in per_rank:
        assert len(indices) == 128
        assert mask[indices[:32]].sum() == 16
    # the ranks split one epoch: no unlabelled sample is seen by both
    unlabelled = [i for indices in per_rank for i in indices if not mask[i]]
    assert len(unlabelled) == len(set(unlabelled)) == 256 // 2


def test_one_empty_group_falls_back_to_default_order():
    for fraction in (0., 1.):
        dataset = _TopdownDataset(50, fraction=fraction)
        assert sorted(LocationLabelBalancedSampler(dataset, seed=0)) == list(range(50))


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='labelled_share'):
        LocationLabelBalancedSampler(_TopdownDataset(10), labelled_share=0)
    with pytest.raises(ValueError, match='SelectLocationLabels'):
        LocationLabelBalancedSampler(_TopdownDataset(10, with_selection=False))


def test_registered_for_configs():
    init_default_scope('mmpose')
    sampler = DATA_SAMPLERS.build(dict(type='LocationLabelBalancedSampler',
                                       labelled_share=0.5, seed=0),
                                  default_args=dict(dataset=_TopdownDataset(64)))
    assert isinstance(sampler, LocationLabelBalancedSampler)
