# Copyright (c) hsjp-mmpose contributors.
from .jigsaw_accuracy import JigsawAccuracy  # noqa: F401
