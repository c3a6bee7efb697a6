# Copyright (c) hsjp-mmpose contributors.
from .cross_entropy_loss import CrossEntropyLoss  # noqa: F401
