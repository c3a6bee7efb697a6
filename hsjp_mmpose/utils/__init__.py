# Copyright (c) hsjp-mmpose contributors.
from .config_overrides import coco_data_root_options

__all__ = ['coco_data_root_options']
