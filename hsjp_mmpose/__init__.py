# Copyright (c) hsjp-mmpose contributors.
"""hsjp-mmpose: self- and weakly-supervised training of 2D pose estimators for MMPose.

Importing this package (``custom_imports=dict(imports=['hsjp_mmpose'])``) registers every
module into MMPose's registries and applies the plugin's changes to upstream behaviour,
all listed in :mod:`hsjp_mmpose.patches` (each can be switched off with the environment
variable ``HSJP_MMPOSE_DISABLE_PATCHES``).
"""
from . import patches

patches.install()

from . import codecs, datasets, engine, evaluation, jigsaw, models, visualization  # noqa: E402,F401,E501
from .version import __version__  # noqa: E402

__all__ = ['__version__']
