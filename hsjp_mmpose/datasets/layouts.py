# Copyright (c) hsjp-mmpose contributors.
"""Keypoint layouts and the mappings between them, by joint name.

A layout is a metainfo file (``configs/_base_/datasets/<name>.py``: joint names, flip
pairs, skeleton, sigmas). Two layouts share the joints whose names are equal (COCO, LSP,
CrowdPose and MPII all name their limb joints ``left_shoulder``, ``right_knee``, ...), so
the mapping between them is read off the metainfo files, never written by hand, and
MMPose's own :class:`~mmpose.datasets.transforms.KeypointConverter` applies it
(:func:`keypoint_converter`).
"""
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ['LAYOUTS', 'LIMB_JOINTS', 'layout_metainfo_file', 'layout_metainfo',
           'keypoint_names', 'keypoint_mapping', 'keypoint_converter']

#: layout -> metainfo file: MMPose's own (``mmpose::``, found inside the installed mmpose)
#: or the plugin's (inside its config folder).
LAYOUTS: Dict[str, str] = dict(
    coco='mmpose::_base_/datasets/coco.py',
    crowdpose='mmpose::_base_/datasets/crowdpose.py',
    mpii='mmpose::_base_/datasets/mpii.py',
    lsp='_base_/datasets/lsp.py',
)
#: The twelve limb joints every body layout here has (shoulders to ankles).
LIMB_JOINTS: Tuple[str, ...] = tuple(
    f'{side}_{joint}' for joint in ('shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle')
    for side in ('left', 'right'))


def layout_metainfo_file(layout: str) -> str:
    """The metainfo file of ``layout`` as a path ``parse_pose_metainfo`` reads."""
    if layout not in LAYOUTS:
        raise KeyError(f'unknown keypoint layout {layout!r}; choose from {sorted(LAYOUTS)}')
    spec = LAYOUTS[layout]
    if spec.startswith('mmpose::'):
        import mmpose
        from pathlib import Path
        return str(Path(mmpose.__file__).parent / '.mim' / 'configs' / spec[len('mmpose::'):])
    from hsjp_mmpose.config_paths import config_path
    return str(config_path(spec))


@lru_cache(maxsize=None)
def layout_metainfo(layout: str) -> dict:
    """The parsed metainfo of ``layout`` (MMPose's ``parse_pose_metainfo``)."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    return parse_pose_metainfo(dict(from_file=layout_metainfo_file(layout)))


def keypoint_names(layout: str) -> List[str]:
    """The joint names of ``layout`` in index order."""
    meta = layout_metainfo(layout)
    return [meta['keypoint_id2name'][k] for k in range(meta['num_keypoints'])]


def keypoint_mapping(source: str, target: str,
                     joints: Optional[Sequence[str]] = None) -> List[Tuple[int, int]]:
    """``(source index, target index)`` of every joint both layouts name alike (only
    those in ``joints`` when given), in the target's order.

    Raises:
        ValueError: A name of ``joints`` is missing from either layout, or the layouts
            share no joint.
    """
    src, dst = keypoint_names(source), keypoint_names(target)
    if joints is not None:
        missing = {name: [lay for lay, names in ((source, src), (target, dst))
                          if name not in names] for name in joints}
        missing = {k: v for k, v in missing.items() if v}
        if missing:
            raise ValueError(f'joints {sorted(missing)} are not in layouts {missing}')
    wanted = set(dst if joints is None else joints)
    mapping = [(src.index(name), t) for t, name in enumerate(dst)
               if name in wanted and name in src]
    if not mapping:
        raise ValueError(f'layouts {source!r} and {target!r} share no joint name')
    return mapping


def keypoint_converter(source: str, target: str,
                       joints: Optional[Sequence[str]] = None) -> dict:
    """A ``KeypointConverter`` step (config dict) from ``source`` to ``target``: the
    shared joints move, the target's others are unlabelled (visibility 0)."""
    return dict(type='KeypointConverter', num_keypoints=layout_metainfo(target)['num_keypoints'],
                mapping=keypoint_mapping(source, target, joints))

