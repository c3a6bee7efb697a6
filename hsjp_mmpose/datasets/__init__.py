# Copyright (c) hsjp-mmpose contributors.
from . import transforms  # noqa: F401
from .coco_person import CocoPersonDataset  # noqa: F401
from .keypoint_3d_datasets import Human36mImageDataset, Keypoint3DCocoDataset  # noqa: F401
from .lsp import LspDataset  # noqa: F401
from .samplers import LocationLabelBalancedSampler  # noqa: F401
