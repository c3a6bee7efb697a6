# Copyright (c) hsjp-mmpose contributors.
from . import hooks  # noqa: F401
from .backbone_export import (export_backbone, extract_backbone_state_dict,  # noqa: F401
                              save_backbone_checkpoint)
