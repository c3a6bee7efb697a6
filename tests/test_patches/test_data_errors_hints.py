# Copyright (c) hsjp-mmpose contributors.
"""The data-set hint at the end of an image or annotation error: the generator's command for
the generated people, the LSP converter's for converted LSP files, none for other data."""
import json
import os
from types import SimpleNamespace

import pytest

from hsjp_mmpose.patches.data_errors import (LSP_HINT, SYNTHETIC_HINT, AnnotationFileError,
                                             AnnotationFileNotFoundError, ImageNotFoundError,
                                             data_set_hint)
from tests.utils import TRAIN_ANN, build_dataset, dataset_cfg

GENERATOR = 'python tools/make_synthetic_coco.py'
CONVERTER = 'python tools/dataset_converters/lsp2coco.py'


def annotation_error(root, ann_file, error=AnnotationFileError) -> str:
    with pytest.raises(error) as raised:
        build_dataset(dataset_cfg(root, ann_file))
    return str(raised.value)


def mend(message: str) -> str:
    """The "How to mend it" line of an error message."""
    return next(line for line in message.splitlines() if line.startswith('How to mend it'))


def folder(root, *files, content='') -> None:
    """``root/annotations/`` with ``files`` (relative to ``root``) holding ``content``."""
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    for name in files:
        (root / name).write_text(content)


# --------------------------------------------------------------------------- generated people

def test_generated_by_the_runner_stamp(tmp_path):
    # ExperimentRunner.data() writes generated.json beside annotations/; an empty file
    # carries no generator info, the stamp alone marks the folder.
    folder(tmp_path, 'generated.json', 'annotations/person_keypoints_val.json')
    message = annotation_error(tmp_path, 'annotations/person_keypoints_val.json')
    assert 'is empty (0 bytes)' in message
    assert mend(message).endswith(f'; {SYNTHETIC_HINT.replace("<data_root>", str(tmp_path))}.')
    assert CONVERTER not in message


def test_generated_by_the_tool_is_recognised_by_its_files(tiny_coco):
    # tools/make_synthetic_coco.py writes no stamp: the val file's info tells.
    (tiny_coco / TRAIN_ANN).write_text('{"images": [')
    message = annotation_error(tiny_coco, TRAIN_ANN)
    assert f'{GENERATOR} --out {tiny_coco} --num-train N --num-val M`.' in message


def test_not_generated_yet(tmp_path):
    message = annotation_error(tmp_path / 'synthetic_people', TRAIN_ANN,
                               AnnotationFileNotFoundError)
    assert f'{GENERATOR} --out {tmp_path / "synthetic_people"} ' in message


def test_missing_image_of_generated_people(tiny_coco):
    dataset = build_dataset(dataset_cfg(tiny_coco))
    os.remove(dataset.get_data_info(0)['img_path'])
    with pytest.raises(ImageNotFoundError, match=f'{GENERATOR} --out {tiny_coco} '):
        dataset[0]


# --------------------------------------------------------------------------- converted LSP

@pytest.mark.parametrize('ann_file', ['annotations/lspet_train.json',
                                      'annotations/lsp_test.json'])
def test_lsp_files_by_name(tmp_path, ann_file):
    root = tmp_path / 'lsp_extended'
    message = annotation_error(root, ann_file, AnnotationFileNotFoundError)
    assert mend(message).endswith(f'; {LSP_HINT.replace("<data_root>", str(root))}.')
    assert f'{CONVERTER} --data-root <published LSP Extended folder> --out-dir {root}`' \
        in message
    assert GENERATOR not in message


def test_lsp_folder_by_conversion_stamp(tmp_path):
    folder(tmp_path, 'annotations/train.json', content='[1, 2]')
    (tmp_path / 'conversion.json').write_text(json.dumps(dict(kind='lspet')))
    message = annotation_error(tmp_path, 'annotations/train.json')
    assert '"<top level>" is a JSON list' in message
    assert f'{CONVERTER} --data-root <published LSP Extended folder> --out-dir {tmp_path}`' \
        in message


# --------------------------------------------------------------------------- other data

def test_real_coco_gets_no_data_set_hint(tmp_path):
    folder(tmp_path, 'annotations/person_keypoints_val2017.json', content='{"images": []}')
    message = annotation_error(tmp_path, 'annotations/person_keypoints_val2017.json')
    assert '"annotations" is missing' in message
    assert mend(message).endswith('(a copy cut short, a file from another format).')
    assert GENERATOR not in message and CONVERTER not in message
    message = annotation_error(tmp_path, 'annotations/person_keypoints_train2017.json',
                               AnnotationFileNotFoundError)
    assert mend(message).endswith('or create the data first.')
    assert GENERATOR not in message and CONVERTER not in message


def test_generator_file_names_in_a_real_folder(tmp_path):
    # A folder of someone's own data with the generator's file names, no stamp, no
    # generator info: not generated.
    folder(tmp_path, 'annotations/person_keypoints_val.json', content='{"info": {}}')
    message = annotation_error(tmp_path, TRAIN_ANN, AnnotationFileNotFoundError)
    assert GENERATOR not in message and CONVERTER not in message


def test_missing_image_of_real_data(tiny_coco):
    for name in ('person_keypoints_train.json', 'person_keypoints_val.json'):
        path = tiny_coco / 'annotations' / name
        data = json.loads(path.read_text())
        data['info']['description'] = 'COCO 2017 Dataset'
        path.with_name(name.replace('.json', '2017.json')).write_text(json.dumps(data))
        path.unlink()
    ann_file = 'annotations/person_keypoints_train2017.json'
    dataset = build_dataset(dataset_cfg(tiny_coco, ann_file))
    os.remove(dataset.get_data_info(0)['img_path'])
    with pytest.raises(ImageNotFoundError) as error:
        dataset[0]
    assert mend(str(error.value)).endswith(
        f'and its annotations from {tiny_coco}/{ann_file}.')
    assert GENERATOR not in str(error.value)


def test_hint_without_a_local_file():
    assert data_set_hint(None) == ''
    assert data_set_hint(SimpleNamespace(ann_file='s3://bucket/annotations/lspet_train.json',
                                         data_root='s3://bucket/')) == ''


def test_unreadable_folder_costs_the_hint_not_the_error(tmp_path, monkeypatch):
    from hsjp_mmpose.patches import data_errors

    def unreadable(dataset):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(data_errors, 'data_set_hint', unreadable)
    message = annotation_error(tmp_path / 'synthetic_people', TRAIN_ANN,
                               AnnotationFileNotFoundError)
    assert mend(message).endswith('or create the data first.')
