# Copyright (c) hsjp-mmpose contributors.
from .config_overrides import coco_data_root_options
from .mim import mim_executable

__all__ = ['coco_data_root_options', 'mim_executable']
