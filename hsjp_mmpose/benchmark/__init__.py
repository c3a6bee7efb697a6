# Copyright (c) hsjp-mmpose contributors.
"""Benchmarks that train and compare several configs; run through ``tools/``."""
