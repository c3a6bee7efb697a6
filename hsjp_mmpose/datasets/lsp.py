# Copyright (c) hsjp-mmpose contributors.
"""Leeds Sports Pose (Extended) in MMPose: the converted COCO-style files with LSP's 14
joints (``tools/dataset_converters/lsp2coco.py`` writes them)."""
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from hsjp_mmpose.config_paths import config_path
from .converters.lsp import LSP_METAINFO


@DATASETS.register_module()
class LspDataset(BaseCocoStyleDataset):
    """LSP / LSP Extended: one person per image, 14 joints (right ankle, right knee,
    right hip, left hip, left knee, left ankle, right wrist, right elbow, right shoulder,
    left shoulder, left elbow, left wrist, neck, head top), boxes derived from the joints.

    The files come from :func:`hsjp_mmpose.datasets.converters.convert_lsp` (visibility
    2 visible, 1 at an estimated place, 0 outside the image). Metainfo:
    ``configs/_base_/datasets/lsp.py``. The set's metric is PCK@0.2 of the torso
    (:class:`~hsjp_mmpose.evaluation.TorsoPCKAccuracy`).

    Args:
        **kwargs: the arguments of ``BaseCocoStyleDataset`` (``ann_file``, ``data_root``,
            ``data_prefix``, ``data_mode``, ``pipeline``, ``test_mode``, ``indices``, ...).
    """

    METAINFO: dict = dict(from_file=str(config_path(LSP_METAINFO)))
