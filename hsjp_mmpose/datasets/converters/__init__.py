# Copyright (c) hsjp-mmpose contributors.
"""Published data sets to COCO-style keypoint files (``tools/dataset_converters/``)."""
from .lsp import (SPLITS, LspDataError, coco_to_joints, convert_lsp, joints_to_coco,
                  read_joints)

__all__ = ['SPLITS', 'LspDataError', 'coco_to_joints', 'convert_lsp', 'joints_to_coco',
           'read_joints']
