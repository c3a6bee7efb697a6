# Copyright (c) hsjp-mmpose contributors.
from . import heads, losses  # noqa: F401
