# Copyright (c) hsjp-mmpose contributors.
from .export_backbone_hook import ExportBackboneHook  # noqa: F401
from .jigsaw_visualization_hook import JigsawVisualizationHook  # noqa: F401
from .pretrained_init_check_hook import PretrainedInitCheckHook  # noqa: F401
from .cam_visualization_hook import CAMVisualizationHook  # noqa: F401
from .nan_guard_hook import NaNLossGuardHook, NonFiniteLossError  # noqa: F401
from .convergence_recorder_hook import ConvergenceRecorderHook  # noqa: F401
from .plateau_stopping_hook import PlateauStoppingHook  # noqa: F401
