# Copyright (c) hsjp-mmpose contributors.
"""(b) A missing or malformed annotation file: the error names the file, the field at fault
and how to mend it, for MMPose's CocoDataset and the plugin's CocoPersonDataset."""
import json

import pytest

from hsjp_mmpose.patches.data_errors import AnnotationFileError, AnnotationFileNotFoundError
from tests.utils import TRAIN_ANN, build_dataset, dataset_cfg

DATASET_TYPES = ['CocoDataset', 'CocoPersonDataset']


def write(root, name, content) -> str:
    path = root / 'annotations' / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return f'annotations/{name}'


def load(root):
    return json.loads((root / TRAIN_ANN).read_text())


@pytest.mark.parametrize('dataset_type', DATASET_TYPES)
def test_missing_annotation_file(tiny_coco, dataset_type):
    (tiny_coco / TRAIN_ANN).unlink()  # the generator's file: its hint says how to write it
    with pytest.raises(AnnotationFileNotFoundError) as error:
        build_dataset(dataset_cfg(tiny_coco, TRAIN_ANN, type=dataset_type))
    message = str(error.value)
    assert isinstance(error.value, FileNotFoundError)
    assert f'Annotation file {tiny_coco}/{TRAIN_ANN} of ' \
           f'{dataset_type}(data_root=' in message and 'not found' in message
    assert 'How to mend it: point data_root and ann_file at an existing' in message
    assert f'python tools/make_synthetic_coco.py --out {tiny_coco} ' in message


def test_missing_file_the_generator_does_not_write(tiny_coco):
    cfg = dataset_cfg(tiny_coco, 'annotations/person_keypoints_nope.json')
    with pytest.raises(AnnotationFileNotFoundError) as error:
        build_dataset(cfg)
    message = str(error.value)
    assert 'person_keypoints_nope.json of CocoDataset(data_root=' in message
    assert message.endswith('or create the data first.')
    assert 'make_synthetic_coco' not in message


def test_missing_data_root_folder(tmp_path):
    cfg = dataset_cfg(tmp_path / 'not_generated')
    with pytest.raises(AnnotationFileNotFoundError, match='does not exist either'):
        build_dataset(cfg)


@pytest.mark.parametrize('dataset_type', DATASET_TYPES)
def test_truncated_json(tiny_coco, dataset_type):
    text = (tiny_coco / TRAIN_ANN).read_text()
    ann_file = write(tiny_coco, 'cut.json', text[:len(text) // 2])
    with pytest.raises(AnnotationFileError) as error:
        build_dataset(dataset_cfg(tiny_coco, ann_file, type=dataset_type))
    message = str(error.value)
    assert f'Annotation file {tiny_coco}/{ann_file} of {dataset_type}' in message
    assert 'is not valid JSON' in message and 'line 1, column' in message
    assert 'probably cut short' in message
    assert 'How to mend it' in message
    assert isinstance(error.value.__cause__, json.JSONDecodeError)


def test_empty_file(tiny_coco):
    ann_file = write(tiny_coco, 'empty.json', '')
    with pytest.raises(AnnotationFileError, match=r'empty\.json of CocoDataset.* is empty '
                                                  r'\(0 bytes\)'):
        build_dataset(dataset_cfg(tiny_coco, ann_file))


@pytest.mark.parametrize('dataset_type', DATASET_TYPES)
@pytest.mark.parametrize('field', ['annotations', 'images'])
def test_missing_top_level_field(tiny_coco, dataset_type, field):
    data = load(tiny_coco)
    del data[field]
    ann_file = write(tiny_coco, 'person_keypoints_train.json', data)  # the generator's file
    with pytest.raises(AnnotationFileError) as error:
        build_dataset(dataset_cfg(tiny_coco, ann_file, type=dataset_type))
    message = str(error.value)
    # Before: "ValueError: need at least one array to concatenate", no file, no field.
    assert f'Annotation file {tiny_coco}/{ann_file} of {dataset_type}' in message
    assert f'is malformed: "{field}" is missing (top-level keys: ' in message
    assert 'How to mend it' in message and 'tools/make_synthetic_coco.py' in message


@pytest.mark.parametrize('change, field, what', [
    (lambda d: d['images'][2].pop('file_name'), 'images[2].file_name',
     'is missing in the image with id 3'),
    (lambda d: d['annotations'][1].pop('image_id'), 'annotations[1].image_id',
     'is missing in the annotation with id 21'),
    (lambda d: d['annotations'][0].update(bbox=[1, 2]), 'annotations[0].bbox',
     'of the annotation with id 11 is [1, 2], not [x, y, w, h]'),
    (lambda d: d['annotations'][0].update(keypoints=[1, 2]), 'annotations[0].keypoints',
     'of the annotation with id 11 holds 2 numbers, not 3 per keypoint'),
    (lambda d: d.update(annotations={}), 'annotations', 'is a dict, not a list'),
], ids=['file_name', 'image_id', 'bbox', 'keypoints', 'annotations-type'])
def test_malformed_entry_names_field(tiny_coco, change, field, what):
    data = load(tiny_coco)
    assert [ann['id'] for ann in data['annotations'][:2]] == [11, 21]  # as the ids say
    change(data)
    ann_file = write(tiny_coco, 'bad.json', data)
    with pytest.raises(AnnotationFileError) as error:
        build_dataset(dataset_cfg(tiny_coco, ann_file))
    assert f'is malformed: "{field}" {what}' in str(error.value)


def test_top_level_list(tiny_coco):
    ann_file = write(tiny_coco, 'list.json', [1, 2])
    with pytest.raises(AnnotationFileError, match='"<top level>" is a JSON list'):
        build_dataset(dataset_cfg(tiny_coco, ann_file))


def test_no_sample_left_names_filters(tiny_coco):
    data = load(tiny_coco)
    for ann in data['annotations']:
        ann['iscrowd'] = 1
    ann_file = write(tiny_coco, 'crowd.json', data)
    with pytest.raises(AnnotationFileError) as error:
        build_dataset(dataset_cfg(tiny_coco, ann_file))
    message = str(error.value)
    assert 'no sample left' in message and 'it holds 8 images and 8 annotations' in message
    assert 'crowd boxes' in message


def test_good_file_loads(tiny_coco):
    assert len(build_dataset(dataset_cfg(tiny_coco))) == 8
