# Copyright (c) hsjp-mmpose contributors.
from .topdown_3d import TopdownPose3DEstimator  # noqa: F401
