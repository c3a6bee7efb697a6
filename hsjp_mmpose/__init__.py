# Copyright (c) hsjp-mmpose contributors.
"""hsjp-mmpose: self- and weakly-supervised training of 2D pose estimators for MMPose.

Importing this package (``custom_imports=dict(imports=['hsjp_mmpose'])``) registers every
module into MMPose's registries and makes checkpoints written by mmengine loadable under
PyTorch's ``weights_only`` rules (see :mod:`hsjp_mmpose.compat`).
"""
from . import compat  # noqa: F401  (first: patches checkpoint loading)
from . import codecs, datasets, engine, evaluation, models, utils, visualization  # noqa: F401
from .version import __version__

__all__ = ['__version__']
