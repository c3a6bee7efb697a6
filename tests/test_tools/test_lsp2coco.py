# Copyright (c) hsjp-mmpose contributors.
"""tools/dataset_converters/lsp2coco.py: the command line around convert_lsp."""
import json
import runpy
import sys

import numpy as np
import pytest

from hsjp_mmpose.datasets.converters import lsp
from hsjp_mmpose.datasets.converters.lsp import coco_to_joints
from tests.test_datasets.lsp_helpers import (TINY_SPLITS, lspet_people, write_full_lsp_folder,
                                             write_lsp_folder)
from ..utils import REPO_ROOT, run_command

SCRIPT = REPO_ROOT / 'tools' / 'dataset_converters' / 'lsp2coco.py'
# Runs the script as `python SCRIPT ...` would, with the editable install's finder
# removed: the script must find the package from the checkout by itself.
UNINSTALLED = ('import importlib.util, runpy, sys; '
               "sys.meta_path[:] = [f for f in sys.meta_path "
               "if '__editable__' not in getattr(f, '__module__', '')]; "
               "assert importlib.util.find_spec('hsjp_mmpose') is None; "
               "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


@pytest.fixture(scope='module')
def main():
    """The script's ``main(argv)``, run in this process."""
    return runpy.run_path(str(SCRIPT))['main']


def test_command_line_on_a_published_folder(tmp_path, main, capsys):
    """A fresh process, outside the checkout, the package not importable as installed:
    an original-LSP folder of 2,000 tiny images (the real split's size)."""
    data = write_full_lsp_folder(tmp_path / 'lsp')
    out = tmp_path / 'converted'
    proc = run_command([sys.executable, '-c', UNINSTALLED, str(SCRIPT), '--data-root',
                        str(data), '--out-dir', str(out), '--margin', '0.2'],
                       cwd=tmp_path, timeout=300)
    for split, people in (('train', 1000), ('test', 1000)):
        path = out / 'annotations' / f'lsp_{split}.json'
        assert f'LSP {split}: {people} people -> {path}' in proc.stdout
        assert f'{split}: {people} people in {path}' in proc.stdout
    assert f'images: {out / "images"} -> {data.resolve() / "images"}' in proc.stdout
    assert f'2000 people (lsp); stamp {out / "conversion.json"}' in proc.stdout
    assert (out / 'images').is_symlink()
    stamp = json.loads((out / 'conversion.json').read_text())
    assert stamp['margin'] == 0.2 and stamp['kind'] == 'lsp'
    train = json.loads((out / 'annotations' / 'lsp_train.json').read_text())
    assert train['images'][0]['file_name'] == 'im0001.jpg'
    # a second run (in this process) reuses the files
    assert main(['--data-root', str(data), '--out-dir', str(out), '--margin', '0.2']) == 0
    assert f'LSP: reusing the converted files in {out}' in capsys.readouterr().out


def test_bad_input_exits_2_with_one_error_line(tmp_path):
    (tmp_path / 'empty').mkdir()
    out = tmp_path / 'out'
    proc = run_command([sys.executable, str(SCRIPT), '--data-root', str(tmp_path / 'empty'),
                        '--out-dir', str(out)], cwd=tmp_path, check=False)
    assert proc.returncode == 2, proc.stdout
    lines = proc.stdout.strip().splitlines()
    assert lines[-1].startswith(f'error: {tmp_path / "empty" / "joints.mat"} not found.')
    assert 'pass the folder of the published set' in lines[-1]
    assert 'Traceback' not in proc.stdout
    assert not out.exists()


def test_main_on_a_hand_made_folder(tmp_path, main, monkeypatch, capsys):
    monkeypatch.setattr(lsp, 'SPLITS', TINY_SPLITS)
    joints, sizes, visibility = lspet_people()
    data = write_lsp_folder(tmp_path / 'lspet', joints, sizes)
    out = tmp_path / 'lsp_extended'
    assert main(['--data-root', str(data), '--out-dir', str(out), '--no-link-images']) == 0
    printed = capsys.readouterr().out
    assert f'LSP Extended: checking 6 images in {data.resolve() / "images"}' in printed
    assert f'train: 3 people in {out / "annotations" / "lspet_train.json"}' in printed
    assert 'images:' not in printed and not (out / 'images').exists()
    merged = dict(annotations=[
        a for split in ('train', 'val', 'test')
        for a in json.loads((out / f'annotations/lspet_{split}.json').read_text())['annotations']])
    back = coco_to_joints(merged, 6)
    kept = [0, 1, 2, 5]
    np.testing.assert_allclose(back[kept, :, :2], joints[kept, :, :2], atol=0.01, rtol=0)
    np.testing.assert_array_equal(back[kept, :, 2], visibility[kept])


@pytest.mark.parametrize('case', ['no images', 'unreadable image', 'generated people',
                                  'images folder in out-dir', 'bad margin'])
def test_main_bad_input(tmp_path, main, monkeypatch, capsys, case):
    monkeypatch.setattr(lsp, 'SPLITS', TINY_SPLITS)
    joints, sizes, _ = lspet_people()
    data = write_lsp_folder(tmp_path / 'lspet', joints, sizes)
    out = tmp_path / 'out'
    args = ['--data-root', str(data), '--out-dir', str(out)]
    if case == 'no images':
        for image in (data / 'images').iterdir():
            image.unlink()
        (data / 'images').rmdir()
        expected = [f'{data.resolve() / "images"} not found']
    elif case == 'unreadable image':
        (data / 'images' / 'im00002.jpg').write_text('text')
        expected = [f'image {data.resolve() / "images" / "im00002.jpg"} cannot be read',
                    'restore it from the published archive']
    elif case == 'generated people':
        (data / 'joints.mat').unlink()
        (data / 'annotations').mkdir()
        (data / 'annotations' / 'person_keypoints_val.json').write_text('{}')
        expected = [str(data.resolve() / 'joints.mat'), '--dataset generated']
    elif case == 'images folder in out-dir':
        (out / 'images').mkdir(parents=True)
        expected = [f'{out / "images"} exists and is not a link', 'remove it']
    else:
        args += ['--margin', '-1']
        expected = ['margin must be in [0, 5)']
    assert main(args) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert error.startswith('error: ') and '\n' not in error
    for text in expected:
        assert text in error, error
    assert not (out / 'annotations').exists()
