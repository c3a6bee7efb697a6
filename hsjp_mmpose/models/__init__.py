# Copyright (c) hsjp-mmpose contributors.
from . import heads, losses  # noqa: F401
from . import pose_estimators  # noqa: F401  (TopdownPose3DEstimator)
