# Copyright (c) hsjp-mmpose contributors.
"""Every error a patch raises in place of a stock one is an instance of the stock type, in
the real failure paths (each case is run with the patch off, then on), and survives
pickling and a DataLoader worker."""
import json
import os
import pickle
import urllib.error
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

from hsjp_mmpose.patches import checkpoint_loading, data_errors
from hsjp_mmpose.patches.checkpoint_loading import (CheckpointDownloadError,
                                                    CorruptCheckpointError)
from hsjp_mmpose.patches.data_errors import (AnnotationFieldError, AnnotationFileDecodeError,
                                             AnnotationFileError, AnnotationFileNotFoundError,
                                             AnnotationFileTypeError, AnnotationFormatError,
                                             ImageLoadError, ImageNotFoundError)
from tests.utils import TRAIN_ANN, build_dataset, dataset_cfg


class _Raw(str):
    """Text written to the annotation file as it is (not as JSON)."""


def _first_image(root: Path) -> Path:
    data = json.loads((root / TRAIN_ANN).read_text())
    return root / 'images/train' / data['images'][0]['file_name']


def _image_case(change):
    """Damage the first image with ``change(path)``, then load the first sample."""
    def run(root: Path):
        dataset = build_dataset(dataset_cfg(root))
        change(Path(dataset.get_data_info(0)['img_path']))
        return dataset[0]
    return run


def _annotation_case(change):
    """Write the training file changed by ``change(data)`` (or the ``_Raw`` text it
    returns) as annotations/x.json, then build the data set on it."""
    def run(root: Path):
        data = json.loads((root / TRAIN_ANN).read_text())
        text = change(data)
        (root / 'annotations/x.json').write_text(
            text if isinstance(text, _Raw) else json.dumps(data))
        return build_dataset(dataset_cfg(root, 'annotations/x.json'))
    return run


# (case, run, stock type, new type)
DATA_CASES = [
    ('missing image', _image_case(os.remove), FileNotFoundError, ImageNotFoundError),
    ('0-byte image', _image_case(lambda p: p.write_bytes(b'')), cv2.error, ImageLoadError),
    ('undecodable image', _image_case(lambda p: p.write_bytes(b'not a jpeg' * 8)),
     AssertionError, ImageLoadError),
    ('missing annotation file',
     lambda root: build_dataset(dataset_cfg(root, 'annotations/nope.json')),
     AssertionError, AnnotationFileNotFoundError),
    ('truncated json', _annotation_case(lambda d: _Raw(json.dumps(d)[:700])),
     json.JSONDecodeError, AnnotationFileDecodeError),
    ('empty json', _annotation_case(lambda d: _Raw('')),
     json.JSONDecodeError, AnnotationFileDecodeError),
    ('no file_name', _annotation_case(lambda d: d['images'][2].pop('file_name')),
     KeyError, AnnotationFieldError),
    ('no image_id', _annotation_case(lambda d: d['annotations'][1].pop('image_id')),
     KeyError, AnnotationFieldError),
    ('bbox null', _annotation_case(lambda d: d['annotations'][0].update(bbox=None)),
     TypeError, AnnotationFileTypeError),
    ('top-level list', _annotation_case(lambda d: _Raw('[1, 2]')),
     AssertionError, AnnotationFormatError),
    ('no annotations', _annotation_case(lambda d: d.pop('annotations')),
     ValueError, AnnotationFileError),
    ('2-number bbox', _annotation_case(lambda d: d['annotations'][0].update(bbox=[1, 2])),
     ValueError, AnnotationFileError),
    # no new class fits: the stock error, with the diagnosis as a note
    ('folder as image', _image_case(lambda p: (os.remove(p), os.mkdir(p))),
     IsADirectoryError, IsADirectoryError),
]


def _raised(run, *args) -> BaseException:
    with pytest.raises(Exception) as error:
        run(*args)
    return error.value


@pytest.fixture
def stock_then_patched():
    """Call ``run(patch)``: with ``patch`` undone, then installed; returns both errors."""
    def both(uninstall, install, run, *args):
        uninstall()
        try:
            stock = _raised(run, *args)
        finally:
            install()
        return stock, _raised(run, *args)
    return both


@pytest.mark.parametrize('case, run, stock_type, new_type', DATA_CASES,
                         ids=[c[0] for c in DATA_CASES])
def test_data_errors_keep_the_stock_type(case, run, stock_type, new_type, tiny_coco_source,
                                         tmp_path):
    import shutil
    stock_root, new_root = (Path(shutil.copytree(tiny_coco_source, tmp_path / name))
                            for name in ('stock', 'new'))
    data_errors.uninstall_data_checks()
    try:
        stock = _raised(run, stock_root)
    finally:
        data_errors.install_data_checks()
    new = _raised(run, new_root)
    assert type(stock) is stock_type, repr(stock)
    assert type(new) is new_type, repr(new)
    assert isinstance(new, type(stock)), f'{type(new)} is no {type(stock)}'
    text = str(new) + ''.join(getattr(new, '__notes__', []))
    assert 'How to mend it' in text, text
    _assert_survives_pickling(new)


def _assert_survives_pickling(error: BaseException) -> None:
    """As an instance (multiprocessing, Ray...) and as torch's DataLoader re-raises a
    worker's error: ``type(error)(message)``."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert getattr(copy, '__notes__', None) == getattr(error, '__notes__', None)
    rebuilt = type(error)('a message')
    assert 'a message' in str(rebuilt)


def test_decode_error_keeps_json_fields(tiny_coco):
    text = (tiny_coco / TRAIN_ANN).read_text()
    (tiny_coco / 'annotations/cut.json').write_text(text[:700])
    with pytest.raises(json.JSONDecodeError) as error:
        build_dataset(dataset_cfg(tiny_coco, 'annotations/cut.json'))
    stock = _raised(json.loads, text[:700])
    assert (error.value.msg, error.value.pos, error.value.lineno, error.value.colno) == \
           (stock.msg, stock.pos, stock.lineno, stock.colno)
    copy = pickle.loads(pickle.dumps(error.value))
    assert (copy.msg, copy.pos, copy.doc) == (stock.msg, stock.pos, stock.doc)
    assert str(copy) == str(error.value) and 'cut.json' in str(copy)


def test_dataloader_worker_reraises_the_new_type(tiny_coco):
    """LoadImage runs in a worker process; torch re-raises its error in the main one."""
    from mmengine.dataset import pseudo_collate
    dataset = build_dataset(dataset_cfg(tiny_coco))
    path = Path(dataset.get_data_info(0)['img_path'])
    path.write_bytes(b'')
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, num_workers=1,
                                         collate_fn=pseudo_collate)
    with pytest.raises(cv2.error) as error:  # what callers caught before
        next(iter(loader))
    assert type(error.value) is ImageLoadError
    assert isinstance(error.value, AssertionError)
    assert f'Cannot load image {path}' in str(error.value)
    assert 'the file is empty (0 bytes)' in str(error.value)


# --------------------------------------------------------------------------- checkpoints

def _checkpoint(path: Path, damage: str) -> str:
    torch.save({'state_dict': {'w': torch.ones(4, 4)}, 'meta': {'epoch': 1}}, path)
    data = path.read_bytes()
    path.write_bytes({'truncated': data[:len(data) // 2], 'empty': b'',
                      'garbage': b'\x80\x02garbage' * 50}[damage])
    return str(path)


@pytest.mark.parametrize('damage, stock_type', [
    ('truncated', RuntimeError), ('empty', EOFError), ('garbage', pickle.UnpicklingError)])
def test_corrupt_checkpoint_keeps_the_stock_type(damage, stock_type, tmp_path,
                                                 stock_then_patched):
    path = _checkpoint(tmp_path / 'epoch_1.pth', damage)
    stock, new = stock_then_patched(checkpoint_loading.unpatch_checkpoint_loader,
                                    checkpoint_loading.patch_checkpoint_loader,
                                    _load_checkpoint, path)
    assert type(stock) is stock_type, repr(stock)
    assert type(new) is CorruptCheckpointError and isinstance(new, stock_type)
    assert path in str(new) and 'How to mend it' in str(new)
    _assert_survives_pickling(new)


UNRESOLVABLE = 'http://hsjp-mmpose.invalid/x.pth'


def test_unreachable_url_names_url_and_fix(offline, stock_then_patched):
    stock, new = stock_then_patched(checkpoint_loading.unpatch_checkpoint_loader,
                                    checkpoint_loading.patch_checkpoint_loader,
                                    _load_checkpoint, UNRESOLVABLE)
    assert type(stock) is urllib.error.URLError, repr(stock)
    assert type(new) is CheckpointDownloadError and isinstance(new, urllib.error.URLError)
    message = str(new)
    assert f'Could not download checkpoint {UNRESOLVABLE}: ' in message
    assert 'Name or service not known' in message
    assert 'init_cfg.checkpoint=/path/to/file.pth' in message
    assert 'model.backbone.init_cfg=None' in message
    assert new.reason is stock.reason or str(new.reason) == str(stock.reason)
    _assert_survives_pickling(new)
    assert str(pickle.loads(pickle.dumps(new)).reason) == str(new.reason)


def test_unresolvable_host_fails_fast_without_stubs(tmp_path, monkeypatch):
    """The same with the machine's own resolver: ``.invalid`` never resolves (RFC 6761)."""
    import time
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    start = time.monotonic()
    with pytest.raises(urllib.error.URLError) as error:
        _load_checkpoint(UNRESOLVABLE)
    assert type(error.value) is CheckpointDownloadError
    assert UNRESOLVABLE in str(error.value) and 'init_cfg=None' in str(error.value)
    assert time.monotonic() - start < 30


def test_dropped_connection_keeps_its_type_with_a_note(monkeypatch, tmp_path):
    """A stock error no new class fits (a connection reset mid-download) is raised as it
    was, with the message as a note."""
    from mmengine.runner import checkpoint as mmengine_checkpoint

    def reset(*args, **kwargs):
        raise ConnectionResetError(104, 'Connection reset by peer')

    monkeypatch.setattr(mmengine_checkpoint, 'load_url', reset)
    with pytest.raises(ConnectionResetError) as error:
        _load_checkpoint(UNRESOLVABLE)
    assert type(error.value) is ConnectionResetError
    assert any(UNRESOLVABLE in note and 'init_cfg=None' in note
               for note in error.value.__notes__)


def test_torchvision_scheme_offline_names_it_too(offline):
    """``torchvision://resnet50`` (the imagenet-init ResNet configs) also ends in a download."""
    with pytest.raises(urllib.error.URLError) as error:
        _load_checkpoint('torchvision://resnet18')
    assert type(error.value) is CheckpointDownloadError
    assert str(error.value).startswith('Could not download checkpoint torchvision://resnet18: ')
