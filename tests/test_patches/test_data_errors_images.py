# Copyright (c) hsjp-mmpose contributors.
"""(a) An image that is missing, empty or not an image: the error names the file, its image
and annotation ids, and how to mend it."""
import os

import pytest

from hsjp_mmpose.patches.data_errors import ImageLoadError, ImageNotFoundError
from tests.utils import build_dataset, dataset_cfg


@pytest.fixture
def dataset_and_first(tiny_coco):
    dataset = build_dataset(dataset_cfg(tiny_coco))
    info = dataset.get_data_info(0)
    return dataset, info


def test_missing_image_names_file_and_ids(dataset_and_first):
    dataset, info = dataset_and_first
    path = info['img_path']
    os.remove(path)
    with pytest.raises(ImageNotFoundError) as error:
        dataset[0]
    message = str(error.value)
    assert isinstance(error.value, FileNotFoundError)  # what callers caught before
    assert f'Cannot load image {path} (image id {info["img_id"]}, annotation id ' \
           f'{info["id"]})' in message
    assert 'the file does not exist' in message
    assert "ann_file='annotations/person_keypoints_train.json'" in message
    assert 'How to mend it' in message and 'data_prefix' in message
    assert f'remove image {info["img_id"]} and its annotations' in message
    # MMPose's own text is still there, and the original error is chained.
    assert 'LoadImage said: FileNotFoundError' in message
    assert isinstance(error.value.__cause__, FileNotFoundError)


@pytest.mark.parametrize('content, what', [
    (b'', 'the file is empty (0 bytes)'),
    (b'this is not a jpeg' * 4, 'cannot be decoded as an image'),
], ids=['empty', 'garbage'])
def test_unreadable_image_names_file_and_ids(dataset_and_first, content, what):
    dataset, info = dataset_and_first
    with open(info['img_path'], 'wb') as file:
        file.write(content)
    with pytest.raises(ImageLoadError) as error:
        dataset[0]
    message = str(error.value)
    assert not isinstance(error.value, FileNotFoundError)
    assert f'Cannot load image {info["img_path"]} (image id {info["img_id"]}, ' \
           f'annotation id {info["id"]})' in message
    assert what in message
    assert 'How to mend it: copy or download the image again' in message
    assert 'tools/make_synthetic_coco.py' in message


def test_readable_images_untouched(dataset_and_first):
    dataset, _ = dataset_and_first
    sample = dataset[0]
    assert sample['inputs'].shape[-2:] == (128, 96)


def test_load_image_wrapped_once():
    from hsjp_mmpose.patches.data_errors import install_data_checks
    from mmpose.datasets.transforms import LoadImage
    before = LoadImage.transform
    install_data_checks()  # installing again must not wrap twice
    assert LoadImage.transform is before
    assert not getattr(LoadImage.transform.__wrapped__, '_hsjp_data_checks', False)
