# Copyright (c) hsjp-mmpose contributors.
"""Issue 24, target 5: the image-level arms use no keypoint location of their weak samples.

For the weak-only image-level configs (generated people and LSP Extended) and the weak
(non-located) samples of both 25% image-level configs, the training set is built from the
config on tiny data and a weak sample goes through the training pipeline twice with the
same random seed: as it is, and with its keypoints moved (moves whose presence labels come
out the same: every keypoint keeps its visibility and its place inside or outside the crop
and the erased regions). The network input must be the same, the heatmap loss must not
reach the sample (``keypoint_weights`` 0), there must be no region (box) labels, and the
model's losses must be the same: only ``keypoint_presence`` reaches them. The box-label
configs fail the same check (their region labels follow the moved keypoints), which shows
that it can fail.
"""
import copy
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS, MODELS

import hsjp_mmpose  # noqa: F401
from hsjp_mmpose.experiments.data_sources import GeneratedPeople, LspExtended
from tests.test_datasets.lsp_helpers import converted_lspet_photos, photo_splits

SOURCES = dict(generated=GeneratedPeople(), lsp=LspExtended(data_root='unused'))
IMAGE_LEVEL_ROLES = ('locfree/LocationFreeHead_0_imagelevel',
                     'locfree/LocationFreeHead_25_imagelevel')
BOX_LABEL_ROLES = ('locfree/LocationFreeHead_0', 'locfree/LocationFreeHead_25')
#: steps that read where every sample's keypoints are
LOCATION_STEPS = ('RandomHalfBody', 'GenerateRegionPresenceLabels')
#: erasing steps and the anchor that places them whatever the keypoints
ERASING_ANCHORS = dict(RandomKeypointErasing=('anchor', 'keypoint', 'random'),
                       RandomSideErasing=('anchor', 'pair', 'random'))
SEEDS = (0, 1, 2, 3)


@pytest.fixture(scope='module')
def lsp_converted(tmp_path_factory):
    """Six LSP Extended training people (person 4 is located at 25%, seed 0; the rest
    weak)."""
    return converted_lspet_photos(tmp_path_factory.mktemp('lsp_image_level'),
                                  photo_splits(6, 1, 1))


@pytest.fixture
def data_root(source, request):
    """The tiny training data of ``source``."""
    return request.getfixturevalue('synthetic_coco' if source == 'generated' else
                                   'lsp_converted')


def _config(source: str, role: str) -> Config:
    return Config.fromfile(str(SOURCES[source].config(role)))


def _train_set(cfg: Config, data_root):
    init_default_scope('mmpose')
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset_cfg.data_root = f'{data_root}/'
    return DATASETS.build(dataset_cfg)


def _run(dataset, info: dict, seed: int) -> dict:
    np.random.seed(seed)
    random.seed(seed)
    return dataset.pipeline(copy.deepcopy(info))


def _with_keypoints(info: dict, keypoints: np.ndarray) -> dict:
    """``info`` with other keypoint places (the box, the image and the visibility as they
    were; the raw annotation too, so that nothing keeps the old places)."""
    moved = copy.deepcopy(info)
    moved['keypoints'] = keypoints.astype(info['keypoints'].dtype)
    if moved.get('raw_ann_info', {}).get('keypoints'):
        flat = np.asarray(moved['raw_ann_info']['keypoints'], np.float64).reshape(-1, 3)
        flat[:, :2] = keypoints[0]
        moved['raw_ann_info']['keypoints'] = flat.ravel().tolist()
    return moved


def _labels(result: dict):
    return result['data_samples'].gt_instance_labels


def _weak_index(dataset, seed: int = 0) -> int:
    """The first sample without location labels."""
    for i in range(len(dataset)):
        if float(_labels(_run(dataset, dataset.get_data_info(i), seed)).has_location_label
                 [0]) == 0:
            return i
    raise AssertionError('no weak sample in the tiny training set')


def _pairs(dataset, index: int, share: float = 0.08, tries: int = 6):
    """(as is, moved) pipeline outputs of sample ``index``, one pair per seed of
    :data:`SEEDS` (the same seed for both runs). The keypoints move one by one, each by
    3-8% of the box's size in a random direction, a move kept when the sample's presence
    labels come out the same (most keypoints move; on the image-level pipelines a
    keypoint's presence depends on its own place alone)."""
    info = dataset.get_data_info(index)
    extent = np.asarray(info['bbox'], np.float64)[0, 2:] - np.asarray(info['bbox'])[0, :2]
    rng = np.random.default_rng(index)
    pairs = []
    for seed in SEEDS:
        original = _run(dataset, info, seed)
        presence = _labels(original).keypoint_presence
        keypoints = np.array(info['keypoints'], np.float64)
        moved = 0
        for k in range(keypoints.shape[1]):
            for _ in range(tries):
                angle = rng.uniform(0, 2 * np.pi)
                step = rng.uniform(0.03, share) * extent * (np.cos(angle), np.sin(angle))
                candidate = keypoints.copy()
                candidate[0, k] += step
                result = _run(dataset, _with_keypoints(info, candidate), seed)
                if torch.equal(_labels(result).keypoint_presence, presence):
                    keypoints, moved = candidate, moved + 1
                    break
        assert moved >= keypoints.shape[1] // 2, f'only {moved} keypoints moved'
        pairs.append((original, _run(dataset, _with_keypoints(info, keypoints), seed)))
    return pairs


def _head_losses(model, feats, results) -> dict:
    """The head's losses on the batch of ``results`` (whose network inputs gave
    ``feats``)."""
    samples = [r['data_samples'] for r in results]
    torch.manual_seed(0)
    with torch.no_grad():
        return {k: v.clone() for k, v in model.head.loss(feats, samples).items()}


@pytest.mark.parametrize('source', SOURCES)
@pytest.mark.parametrize('role', IMAGE_LEVEL_ROLES)
def test_image_level_configs_list_no_location_step_and_no_region_loss(source, role):
    cfg = _config(source, role)
    steps = cfg.train_dataloader.dataset.pipeline
    assert not [s.type for s in steps if s.type in LOCATION_STEPS]
    erasing = [s for s in steps if s.type in ERASING_ANCHORS]
    assert erasing and all(
        s.get(ERASING_ANCHORS[s.type][0], ERASING_ANCHORS[s.type][1]) ==
        ERASING_ANCHORS[s.type][2] for s in erasing)
    assert cfg.model.head.presence_cfg.get('region_loss') is None
    # presence labels come after every transform that moves pixels or keypoints
    types = [s.type for s in steps]
    assert types.index('GeneratePresenceLabels') > max(
        types.index('TopdownAffine'), types.index('RandomKeypointErasing'))


@pytest.mark.parametrize('source', SOURCES)
@pytest.mark.parametrize('role', IMAGE_LEVEL_ROLES)
def test_weak_samples_reach_the_network_only_through_presence(data_root, source, role):
    cfg = _config(source, role)
    dataset = _train_set(cfg, data_root)
    index = _weak_index(dataset)
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model).eval()
    pairs = _pairs(dataset, index)
    for original, moved in pairs:
        # the keypoints did move through the pipeline: their heatmaps differ ...
        assert not torch.equal(original['data_samples'].gt_fields.heatmaps,
                               moved['data_samples'].gt_fields.heatmaps)
        # ... but the network sees the same pixels
        assert torch.equal(original['inputs'], moved['inputs'])
        for result in (original, moved):
            labels = _labels(result)
            assert float(labels.has_location_label[0]) == 0
            assert (labels.keypoint_weights == 0).all()  # no heatmap loss
            assert 'region_presence' not in labels and 'region_boxes' not in labels
    # the model's losses (a batch of the sample under every seed) read the presence labels
    # alone ...
    originals, moved = [p[0] for p in pairs], [p[1] for p in pairs]
    data = model.data_preprocessor(dict(inputs=[r['inputs'] for r in originals],
                                        data_samples=[r['data_samples'] for r in originals]))
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])  # the same for the moved samples
    before, after = _head_losses(model, feats, originals), _head_losses(model, feats, moved)
    assert before.keys() == after.keys() and 'loss_presence' in before
    assert float(before['loss_heatmap']) == 0
    for key in before:
        assert torch.equal(before[key], after[key]), key
    # ... and do read them: other presence labels, another loss
    flipped = copy.deepcopy(originals)
    for result in flipped:
        labels = _labels(result)
        labels.keypoint_presence = 1 - labels.keypoint_presence
    assert not torch.equal(before['loss_presence'],
                           _head_losses(model, feats, flipped)['loss_presence'])


@pytest.mark.parametrize('source', SOURCES)
@pytest.mark.parametrize('role', BOX_LABEL_ROLES)
def test_box_label_configs_fail_the_same_check(data_root, source, role):
    """The box-label arms use the weak samples' keypoint places: the same moves change
    their region labels (on generated people, their erased regions and half-body crops
    too); their configs list the steps the image-level configs must not."""
    cfg = _config(source, role)
    assert 'GenerateRegionPresenceLabels' in [
        s.type for s in cfg.train_dataloader.dataset.pipeline]
    assert cfg.model.head.presence_cfg.region_loss is not None
    dataset = _train_set(cfg, data_root)
    pairs = _pairs(dataset, _weak_index(dataset))
    assert any(not torch.equal(_labels(a).region_presence, _labels(b).region_presence)
               for a, b in pairs)
