# Copyright (c) hsjp-mmpose contributors.
# Clear errors for missing/corrupt images, broken annotation files and degenerate boxes
# (wraps MMPose's LoadImage and BaseCocoStyleDataset once; see checks.py).
from . import checks  # noqa: F401
from . import transforms  # noqa: F401
from . import synthetic  # noqa: F401
from .coco_person import CocoPersonDataset  # noqa: F401
from .keypoint_3d_datasets import Human36mImageDataset, Keypoint3DCocoDataset  # noqa: F401
from .samplers import LocationLabelBalancedSampler  # noqa: F401
