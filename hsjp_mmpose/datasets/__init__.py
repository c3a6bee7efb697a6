# Copyright (c) hsjp-mmpose contributors.
from . import transforms  # noqa: F401
from . import synthetic  # noqa: F401
from .coco_person import CocoPersonDataset  # noqa: F401
