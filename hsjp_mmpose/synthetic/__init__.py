# Copyright (c) hsjp-mmpose contributors.
"""The generated people: posed 3D skeletons (:mod:`.skeleton`), drawn through a camera
(:mod:`.render`) at a difficulty level (:mod:`.levels`) and written as a COCO keypoint data
set (:mod:`.writer`). Not a registered module: data the project makes for its experiments
and tests."""
from .levels import DATA_LEVELS, DataLevel, get_data_level, parse_level_overrides
from .writer import SPLITS, generate_synthetic_coco, image_rng

__all__ = ['DATA_LEVELS', 'DataLevel', 'SPLITS', 'generate_synthetic_coco', 'get_data_level',
           'image_rng', 'parse_level_overrides']
