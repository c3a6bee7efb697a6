# Copyright (c) hsjp-mmpose contributors.
"""Keypoint layouts mapped by joint name (hsjp_mmpose.datasets.layouts)."""
import pytest
from mmengine.config import Config

from hsjp_mmpose.config_paths import config_path
from hsjp_mmpose.datasets.layouts import (LAYOUTS, LIMB_JOINTS, keypoint_converter,
                                          keypoint_mapping, keypoint_names, layout_metainfo)

PRETRAIN_CONFIG = 'keypoint_pretrain/td-hm_res18-half_1xb32-12e_synthetic-source-lsp-128x128.py'
# COCO-17 -> LSP by hand: LSP's right ankle (0) is COCO's 16, ... left wrist (11) COCO's 9
COCO_TO_LSP = [(16, 0), (14, 1), (12, 2), (11, 3), (13, 4), (15, 5), (10, 6), (8, 7),
               (6, 8), (5, 9), (7, 10), (9, 11)]


def test_coco_to_lsp_is_the_twelve_limb_joints():
    mapping = keypoint_mapping('coco', 'lsp')
    assert mapping == COCO_TO_LSP
    coco, lsp = keypoint_names('coco'), keypoint_names('lsp')
    assert sorted(lsp[t] for _, t in mapping) == sorted(LIMB_JOINTS)
    assert all(coco[s] == lsp[t] for s, t in mapping)
    assert keypoint_converter('coco', 'lsp') == dict(
        type='KeypointConverter', num_keypoints=14, mapping=COCO_TO_LSP)


@pytest.mark.parametrize('source', ['crowdpose', 'mpii', 'coco', 'lsp'])
@pytest.mark.parametrize('target', ['lsp', 'coco'])
def test_limb_joints_between_layouts(source, target):
    mapping = keypoint_mapping(source, target, LIMB_JOINTS)
    src, dst = keypoint_names(source), keypoint_names(target)
    assert len(mapping) == 12
    assert [t for _, t in mapping] == sorted(t for _, t in mapping)  # the target's order
    assert sorted(dst[t] for _, t in mapping) == sorted(LIMB_JOINTS)
    assert all(src[s] == dst[t] for s, t in mapping)
    converter = keypoint_converter(source, target, LIMB_JOINTS)
    assert converter['num_keypoints'] == layout_metainfo(target)['num_keypoints']


def test_unrestricted_mappings_take_every_shared_name():
    # CrowdPose and LSP also share the neck; MPII and LSP the head top
    assert len(keypoint_mapping('crowdpose', 'lsp')) == 13
    assert len(keypoint_mapping('mpii', 'lsp')) == 13
    assert keypoint_mapping('lsp', 'lsp') == [(k, k) for k in range(14)]


def test_unknown_layout():
    with pytest.raises(KeyError) as err:
        keypoint_mapping('coco', 'halpe')
    message = str(err.value)
    assert "'halpe'" in message
    for layout in LAYOUTS:
        assert layout in message


def test_missing_joint_name():
    with pytest.raises(ValueError, match=r"\['nose'\].*'lsp'"):
        keypoint_mapping('coco', 'lsp', ['left_knee', 'nose'])
    with pytest.raises(ValueError, match='left_toe'):
        keypoint_mapping('coco', 'lsp', ['left_toe'])


def _converter_steps(pipeline):
    return [step for step in pipeline if step['type'] == 'KeypointConverter']


def test_hand_written_mapping_in_the_pretraining_config():
    cfg = Config.fromfile(str(config_path(PRETRAIN_CONFIG)))
    expected = keypoint_mapping('coco', 'lsp')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        steps = _converter_steps(loader.dataset.pipeline)
        assert len(steps) == 1
        assert steps[0]['num_keypoints'] == 14
        assert [tuple(pair) for pair in steps[0]['mapping']] == expected


def test_lsp_flip_pairs_agree_with_joint_names():
    meta = layout_metainfo('lsp')
    names = keypoint_names('lsp')
    swapped = {'left': 'right', 'right': 'left'}
    pairs = {tuple(sorted(pair)) for pair in meta['flip_pairs']}
    for a, b in pairs:
        side, joint = names[a].split('_', 1)
        assert names[b] == f'{swapped[side]}_{joint}', (names[a], names[b])
    paired = {k for pair in pairs for k in pair}
    assert {names[k] for k in paired} == {n for n in names if n.split('_')[0] in swapped}
    for k, name in enumerate(names):
        partner = meta['flip_indices'][k]
        if k in paired:
            assert names[partner] != name and names[partner].split('_', 1)[1] == \
                name.split('_', 1)[1]
        else:
            assert partner == k  # neck, head top
