# Copyright (c) hsjp-mmpose contributors.
from .jigsaw_accuracy import JigsawAccuracy  # noqa: F401
from .jigsaw_classification_accuracy import JigsawClassificationAccuracy  # noqa: F401
from .left_right import LeftRightAccuracy, PeakPlaces  # noqa: F401
from .torso_pck import TorsoPCKAccuracy  # noqa: F401
