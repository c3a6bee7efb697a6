# Copyright (c) hsjp-mmpose contributors.
"""``--cfg-options`` that point a COCO-style config at another data folder.

A config's ``data_root`` variable is resolved when the file is read, so overriding it on the
command line changes nothing; the dataloaders' ``data_root`` (and, for evaluators that read
an annotation file, their ``ann_file``) must be overridden one by one. This builds those.
"""
from pathlib import Path
from typing import List, Optional, Union

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def coco_data_root_options(data_root: Union[str, Path],
                           evaluator_ann_file: Optional[str] = None) -> List[str]:
    """Return ``key=value`` strings for ``mim train/test ... --cfg-options``.

    Args:
        data_root: folder holding ``annotations/`` and the image folders.
        evaluator_ann_file: if given, also set the val/test evaluators' ``ann_file`` to this
            path relative to ``data_root`` (for a ``CocoMetric`` that reads its ground truth
            from a file; the project's configs take it from the dataset instead).

    Returns:
        list[str]: overrides of the three dataloaders' ``dataset.data_root`` and, optionally,
        of the evaluators' ``ann_file``.
    """
    root = Path(data_root).resolve()
    options = [f'{loader}.dataset.data_root={root}/' for loader in DATALOADERS]
    if evaluator_ann_file is not None:
        options += [f'{evaluator}.ann_file={root / evaluator_ann_file}'
                    for evaluator in ('val_evaluator', 'test_evaluator')]
    return options
