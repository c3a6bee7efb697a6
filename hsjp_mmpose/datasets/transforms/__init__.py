# Copyright (c) hsjp-mmpose contributors.
from .random_jigsaw import RandomJigsaw, jigsaw_grid_of_pipeline  # noqa: F401
from .location_labels import GeneratePresenceLabels, SelectLocationLabels  # noqa: F401
from .keypoint_erasing import RandomKeypointErasing, RandomSideErasing  # noqa: F401
from .root_relative_keypoints_3d import GetRootRelativeKeypoints3D  # noqa: F401
