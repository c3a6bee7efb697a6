# Copyright (c) hsjp-mmpose contributors.
"""(c) Degenerate boxes (zero width or height, wholly outside the image, not finite) are
skipped with a warning naming their annotation ids; no NaN reaches the model."""
import json

import numpy as np
import pytest

from hsjp_mmpose.patches.data_errors import find_degenerate_boxes
from tests.utils import TRAIN_ANN, build_dataset, dataset_cfg


@pytest.fixture
def degenerate_ann_file(tiny_coco):
    data = json.loads((tiny_coco / TRAIN_ANN).read_text())
    anns = data['annotations']
    assert [ann['id'] for ann in anns[:4]] == [11, 21, 31, 41]
    image = {img['id']: img for img in data['images']}[anns[1]['image_id']]
    anns[0]['bbox'][2] = 0  # zero width
    anns[1]['bbox'] = [image['width'] + 10, 20, 50, 100]  # right of the image
    anns[2]['bbox'] = [-80, -90, 40, 50]  # above and left of the image
    anns[3]['bbox'][3] = float('nan')  # json writes NaN, and Python reads it back
    (tiny_coco / 'annotations' / 'degenerate.json').write_text(json.dumps(data))
    return 'annotations/degenerate.json', anns[0]['bbox']


@pytest.mark.parametrize('dataset_type', ['CocoDataset', 'CocoPersonDataset'])
def test_degenerate_boxes_skipped_with_warning(tiny_coco, degenerate_ann_file, dataset_type,
                                               mmengine_log):
    ann_file, zero_width_bbox = degenerate_ann_file
    dataset = build_dataset(dataset_cfg(tiny_coco, ann_file, type=dataset_type))
    ids = [dataset.get_data_info(i)['id'] for i in range(len(dataset))]
    assert ids == [51, 61, 71, 81]
    warning, = [m for m in mmengine_log.messages() if 'degenerate' in m]
    assert f'{dataset_type}(data_root=' in warning
    assert '4 degenerate person box(es)' in warning and 'skipped them' in warning
    assert zero_width_bbox[2] == 0
    assert f'annotation id 11 (image id 1, bbox {zero_width_bbox}): zero or negative ' \
           'width or height' in warning
    assert 'annotation id 21 (image id 2, bbox [330, 20, 50, 100]): it lies outside the ' \
           'image (320x256)' in warning
    assert 'annotation id 31 (image id 3, bbox [-80, -90, 40, 50]): it lies outside' in warning
    assert 'annotation id 41 (image id 4' in warning and 'not finite' in warning
    assert 'How to mend it: fix or delete these annotations' in warning
    # The remaining samples go through the real pipeline without NaN.
    for index in range(len(dataset)):
        sample = dataset[index]
        assert np.isfinite(sample['inputs'].numpy()).all()
        assert np.isfinite(sample['data_samples'].gt_instances.bboxes).all()
        assert np.isfinite(sample['data_samples'].gt_fields.heatmaps.numpy()).all()


def test_clean_file_warns_nothing(tiny_coco, mmengine_log):
    build_dataset(dataset_cfg(tiny_coco, type='CocoPersonDataset'))
    assert not [m for m in mmengine_log.messages() if 'degenerate' in m]


def test_find_degenerate_boxes():
    box = lambda *xyxy: dict(bbox=np.array([xyxy], dtype=np.float32))  # noqa: E731
    instances = [box(0, 0, 10, 10), box(5, 5, 5, 20), box(0, 3, 10, 3),
                 box(0, 0, np.inf, 4), dict(no_bbox=True)]
    assert find_degenerate_boxes(instances) == [1, 2, 3]
