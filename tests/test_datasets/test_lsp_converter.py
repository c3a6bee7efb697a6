# Copyright (c) hsjp-mmpose contributors.
"""The LSP / LSP Extended converter (hsjp_mmpose.datasets.converters.lsp) on hand-made
folders of both published shapes and, where present, on the real LSP Extended folder."""
import json
import os

import numpy as np
import pytest

from hsjp_mmpose.datasets.converters import lsp
from hsjp_mmpose.datasets.converters.lsp import (LspDataError, coco_to_joints, convert_lsp,
                                                 find_converted, read_joints)
from .lsp_helpers import (LSPET_BOXES, TINY_SPLITS, lsp_people, lspet_people,
                          write_joints_mat, write_lsp_folder)

SETS = dict(lspet=lspet_people, lsp=lsp_people)


@pytest.fixture
def tiny_splits(monkeypatch):
    monkeypatch.setattr(lsp, 'SPLITS', TINY_SPLITS)
    return TINY_SPLITS


def _folder(tmp_path, kind='lspet'):
    joints, sizes, _ = SETS[kind]()
    return write_lsp_folder(tmp_path / f'published_{kind}', joints, sizes, kind)


def _load(out, kind):
    return {split: json.loads((out / 'annotations' / f'{kind}_{split}.json').read_text())
            for split in TINY_SPLITS[kind]}


def _merged(files):
    return dict(annotations=[a for coco in files.values() for a in coco['annotations']])


def _expected_box(keypoints, visibility, size, margin):
    xy = keypoints[visibility > 0]
    lo, hi = xy.min(0), xy.max(0)
    lo, hi = lo - margin * (hi - lo), hi + margin * (hi - lo)
    lo, hi = np.maximum(lo, 0), np.minimum(hi, size)
    return [lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]]


# --- reading joints.mat ------------------------------------------------------------------

@pytest.mark.parametrize('kind', ['lspet', 'lsp'])
def test_read_joints_both_shapes(tmp_path, kind):
    joints, _, _ = SETS[kind]()
    write_joints_mat(tmp_path / 'joints.mat', joints, kind)
    read, found = read_joints(tmp_path)
    assert found == kind
    np.testing.assert_array_equal(read, joints)


# --- conversion of the hand-made folders -------------------------------------------------

@pytest.mark.parametrize('kind', ['lspet', 'lsp'])
def test_visibility_boxes_and_split_files(tmp_path, tiny_splits, kind):
    joints, sizes, expected_v = SETS[kind]()
    out = tmp_path / 'out'
    stamp = convert_lsp(_folder(tmp_path, kind), out)
    files = _load(out, kind)
    assert stamp['kind'] == kind and stamp['files'] == {
        split: f'annotations/{kind}_{split}.json' for split in TINY_SPLITS[kind]}
    assert find_converted(out) == stamp
    assert os.readlink(out / 'images') == str((tmp_path / f'published_{kind}').resolve()
                                              / 'images')

    name = lsp._IMAGE_NAMES[kind]
    for split, (first, last) in TINY_SPLITS[kind].items():
        coco = files[split]
        # every image of the split is listed, in order, with its size
        assert [im['id'] for im in coco['images']] == list(range(first, last + 1))
        for im in coco['images']:
            assert im['file_name'] == name.format(im['id'])
            assert (im['width'], im['height']) == sizes[im['id'] - 1]
        assert coco['categories'][0]['keypoints'][0] == 'right_ankle'
        assert len(coco['categories'][0]['skeleton']) == 14
        for ann in coco['annotations']:
            i = ann['image_id'] - 1
            assert first <= ann['image_id'] <= last and ann['id'] == ann['image_id']
            kpts = np.array(ann['keypoints']).reshape(14, 3)
            assert kpts[:, 2].tolist() == expected_v[i].tolist(), f'image {i + 1}'
            assert all(isinstance(v, int) for v in ann['keypoints'][2::3])
            assert ann['num_keypoints'] == np.count_nonzero(expected_v[i])
            box = _expected_box(joints[i, :, :2], expected_v[i], sizes[i], 0.1)
            assert ann['bbox'] == pytest.approx(box, abs=1e-3)
            assert ann['area'] == pytest.approx(0.53 * box[2] * box[3], abs=1e-3)
            assert ann['iscrowd'] == 0 and ann['category_id'] == 1
    people = {a['image_id'] for coco in files.values() for a in coco['annotations']}
    if kind == 'lspet':
        # 4: placeholders only; 5: one labelled joint, an empty box
        assert people == {1, 2, 3, 6}
        assert stamp['people'] == dict(train=3, val=0, test=1)
        assert sum(len(c['images']) for c in files.values()) == 6
        boxes = {a['image_id']: (a['bbox'], a['area'])
                 for c in files.values() for a in c['annotations']}
        for number, (box, area) in LSPET_BOXES.items():
            assert boxes[number][0] == pytest.approx(box, abs=1e-3)
            assert boxes[number][1] == pytest.approx(area, abs=1e-3)
    else:
        assert people == {1, 2, 3, 4} and stamp['people'] == dict(train=2, test=2)


@pytest.mark.parametrize('kind', ['lspet', 'lsp'])
def test_round_trip_hand_made(tmp_path, tiny_splits, kind):
    joints, _, expected_v = SETS[kind]()
    out = tmp_path / 'out'
    convert_lsp(_folder(tmp_path, kind), out, link_images=False)
    assert not (out / 'images').exists()
    back = coco_to_joints(_merged(_load(out, kind)), len(joints))
    kept = ~np.isnan(back[:, 0, 0])
    assert kept.tolist() == ([True, True, True, False, False, True] if kind == 'lspet'
                             else [True] * 4)
    np.testing.assert_allclose(back[kept, :, :2], joints[kept, :, :2], atol=0.01, rtol=0)
    np.testing.assert_array_equal(back[kept, :, 2], expected_v[kept])


def test_margin_zero_is_the_joints_extent(tmp_path, tiny_splits):
    joints, sizes, v = lspet_people()
    out = tmp_path / 'out'
    convert_lsp(_folder(tmp_path), out, margin=0.)
    ann = _load(out, 'lspet')['train']['annotations'][0]
    xy = joints[0, v[0] > 0, :2]
    assert ann['bbox'] == pytest.approx([*xy.min(0), *(xy.max(0) - xy.min(0))], abs=1e-3)


def test_second_run_reuses_and_a_changed_margin_reconverts(tmp_path, tiny_splits):
    data, out = _folder(tmp_path), tmp_path / 'out'
    convert_lsp(data, out)
    files = [out / 'annotations' / f'lspet_{s}.json' for s in TINY_SPLITS['lspet']]
    mtimes = [f.stat().st_mtime_ns for f in files + [out / lsp.STAMP_FILE]]
    lines = []
    stamp = convert_lsp(data, out, log=lines.append)
    assert lines == [f'LSP Extended: reusing the converted files in {out}']
    assert [f.stat().st_mtime_ns for f in files + [out / lsp.STAMP_FILE]] == mtimes
    assert stamp['margin'] == 0.1

    lines.clear()
    stamp = convert_lsp(data, out, margin=0.25, log=lines.append)
    assert not any('reusing' in line for line in lines)
    assert any(line.startswith('LSP Extended train: 3 people -> ') for line in lines)
    assert stamp['margin'] == 0.25 and find_converted(out)['margin'] == 0.25
    box = _load(out, 'lspet')['train']['annotations'][0]['bbox']
    # x 16.25-34.25, y 5.5-35.5 grown by a quarter; the top clipped at 0
    assert box == pytest.approx([11.75, 0., 27., 43.], abs=1e-3)
    # no temporary file is left beside the written ones
    assert sorted(p.name for p in (out / 'annotations').iterdir()) == [
        'lspet_test.json', 'lspet_train.json', 'lspet_val.json']
    assert not [p for p in out.iterdir() if p.name.startswith('.')]


def test_changed_joints_reconvert(tmp_path, tiny_splits):
    data, out = _folder(tmp_path), tmp_path / 'out'
    convert_lsp(data, out)
    joints, _, _ = lspet_people()
    joints[0, 2, :2] += 1.5
    write_joints_mat(data / 'joints.mat', joints, 'lspet')
    lines = []
    convert_lsp(data, out, log=lines.append)
    assert not any('reusing' in line for line in lines)
    ann = _load(out, 'lspet')['train']['annotations'][0]
    assert ann['keypoints'][6:8] == pytest.approx(joints[0, 2, :2].tolist())


def test_writing_is_atomic(tmp_path, tiny_splits, monkeypatch):
    """A conversion that fails half-way leaves the earlier files whole, no temporary
    file, and no stamp: the next call converts again instead of reusing."""
    data, out = _folder(tmp_path), tmp_path / 'out'
    convert_lsp(data, out)
    before = {p.name: p.read_bytes() for p in (out / 'annotations').iterdir()}
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith('lspet_val.json'):
            raise OSError(28, 'No space left on device', str(dst))
        return real_replace(src, dst)

    with monkeypatch.context() as patch:
        patch.setattr(lsp.os, 'replace', failing_replace)
        with pytest.raises(OSError, match='No space left'):
            convert_lsp(data, out, margin=0.3)
    after = {p.name: p.read_bytes() for p in (out / 'annotations').iterdir()}
    assert set(after) == set(before)  # no .tmp file left
    assert after['lspet_val.json'] == before['lspet_val.json']  # the old file, whole
    assert after['lspet_train.json'] != before['lspet_train.json']  # already rewritten
    assert find_converted(out) is None  # so neither margin's run is taken as done
    lines = []
    convert_lsp(data, out, log=lines.append)
    assert not any('reusing' in line for line in lines)
    assert find_converted(out)['margin'] == 0.1


# --- bad input: refused before anything is written, naming the file and what to do --------

def _refused(data, out, *patterns):
    with pytest.raises(LspDataError) as err:
        convert_lsp(data, out)
    message = str(err.value)
    for pattern in patterns:
        assert str(pattern) in message, message
    assert '\n' not in message
    return message


def test_folder_without_joints_mat(tmp_path):
    (tmp_path / 'data' / 'images').mkdir(parents=True)
    _refused(tmp_path / 'data', tmp_path / 'out', tmp_path / 'data' / 'joints.mat',
             'not found', 'pass the folder of the published set')
    assert not (tmp_path / 'out').exists()


def test_missing_folder(tmp_path):
    _refused(tmp_path / 'nowhere', tmp_path / 'out', tmp_path / 'nowhere', 'not a folder')
    assert not (tmp_path / 'out').exists()


def test_folder_without_images(tmp_path, tiny_splits):
    joints, _, _ = lspet_people()
    (tmp_path / 'data').mkdir()
    write_joints_mat(tmp_path / 'data' / 'joints.mat', joints, 'lspet')
    _refused(tmp_path / 'data', tmp_path / 'out', tmp_path / 'data' / 'images',
             'images/ beside joints.mat')
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('shape', [(14, 2, 6), (6, 14, 3), (14, 3)])
def test_joints_of_another_shape(tmp_path, shape):
    from scipy.io import savemat
    (tmp_path / 'data').mkdir()
    savemat(str(tmp_path / 'data' / 'joints.mat'), dict(joints=np.zeros(shape)))
    _refused(tmp_path / 'data', tmp_path / 'out', tmp_path / 'data' / 'joints.mat',
             f'shape {shape}', 'expected 14 x 3 x N (LSP Extended) or 3 x 14 x N (LSP)')
    assert not (tmp_path / 'out').exists()


def test_joints_mat_without_joints(tmp_path):
    from scipy.io import savemat
    (tmp_path / 'data').mkdir()
    savemat(str(tmp_path / 'data' / 'joints.mat'), dict(points=np.zeros((14, 3, 2))))
    _refused(tmp_path / 'data', tmp_path / 'out', tmp_path / 'data' / 'joints.mat',
             'has no array "joints"', "['points']", '14 x 3 x N')
    assert not (tmp_path / 'out').exists()


def test_joints_mat_not_a_mat_file(tmp_path):
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'joints.mat').write_text('not a MATLAB file')
    _refused(tmp_path / 'data', tmp_path / 'out', tmp_path / 'data' / 'joints.mat',
             'cannot be read as a MATLAB file', 'download it again')


def test_joints_with_nan(tmp_path, tiny_splits):
    joints, sizes, _ = lspet_people()
    joints[1, 4, 0] = np.nan
    joints[5, 0, 1] = np.inf
    data = write_lsp_folder(tmp_path / 'data', joints, sizes)
    _refused(data, tmp_path / 'out', data / 'joints.mat', 'joints of 2 images are not finite',
             'im00002.jpg, im00006.jpg', 'flagged 0, not NaN')
    assert not (tmp_path / 'out').exists()


def test_missing_image(tmp_path, tiny_splits):
    data = _folder(tmp_path)
    (data / 'images' / 'im00005.jpg').unlink()
    _refused(data, tmp_path / 'out', data / 'images' / 'im00005.jpg', 'not found',
             'restore the image from the published archive')
    assert not (tmp_path / 'out').exists()


def test_unreadable_image(tmp_path, tiny_splits):
    data = _folder(tmp_path)
    (data / 'images' / 'im00003.jpg').write_text('this is not a JPEG')
    _refused(data, tmp_path / 'out', data / 'images' / 'im00003.jpg', 'cannot be read',
             'restore it from the published archive')
    assert not (tmp_path / 'out').exists()


def test_too_few_people_for_the_split(tmp_path):
    data = _folder(tmp_path)  # 6 people; the real split needs 10,000
    _refused(data, tmp_path / 'out', data / 'joints.mat', 'holds 6 people', 'needs 10000',
             'use the complete published file')
    assert not (tmp_path / 'out').exists()


def test_folder_of_generated_people(tmp_path):
    generated = tmp_path / 'synthetic'
    (generated / 'annotations').mkdir(parents=True)
    (generated / 'images' / 'train').mkdir(parents=True)
    (generated / 'annotations' / 'person_keypoints_train.json').write_text('{}')
    message = _refused(generated, tmp_path / 'out', generated / 'joints.mat',
                       'person_keypoints_*.json', 'generated people',
                       '--dataset generated')
    assert 'pass the folder of the published set' in message
    assert not (tmp_path / 'out').exists()


def test_images_a_real_folder_in_out_dir(tmp_path, tiny_splits):
    data, out = _folder(tmp_path), tmp_path / 'out'
    (out / 'images').mkdir(parents=True)
    _refused(data, out, out / 'images', 'is not a link to', 'remove it or convert into '
             'another folder')
    assert [p.name for p in out.iterdir()] == ['images']  # nothing written
    assert not any((out / 'images').iterdir())
    # without the link the folder is left alone
    convert_lsp(data, out, link_images=False)
    assert (out / 'annotations' / 'lspet_train.json').is_file()


def test_bad_margin(tmp_path, tiny_splits):
    with pytest.raises(LspDataError, match='margin must be in'):
        convert_lsp(_folder(tmp_path), tmp_path / 'out', margin=-0.1)
    assert not (tmp_path / 'out').exists()


# --- the real LSP Extended folder --------------------------------------------------------

def test_real_lsp_extended_round_trip(lsp_extended_dir, lsp_extended_converted):
    """All 10,000 x 14 published coordinates come back from the three split files
    (converting the real folder: ~5 s, once per session)."""
    from scipy.io import loadmat
    published = loadmat(str(lsp_extended_dir / 'joints.mat'))['joints']
    assert published.shape == (14, 3, 10000)
    published = published.transpose(2, 0, 1)
    stamp = find_converted(lsp_extended_converted)
    assert stamp['kind'] == 'lspet' and stamp['num_people'] == 10000
    assert stamp['people'] == dict(train=8000, val=1000, test=1000)
    coco = _merged({split: json.loads((lsp_extended_converted / name).read_text())
                    for split, name in stamp['files'].items()})
    back = coco_to_joints(coco, 10000)
    assert not np.isnan(back).any()
    np.testing.assert_allclose(back[..., :2], published[..., :2], atol=0.01, rtol=0)
    # flag 1 -> visible (2) unless outside the image; flag 0 -> never visible
    x, y, flag, v = published[..., 0], published[..., 1], published[..., 2], back[..., 2]
    assert set(np.unique(v)) <= {0, 1, 2}
    assert (v[flag == 0] < 2).all()
    placeholder = (flag == 0) & ((x <= 0) | (y <= 0))
    assert (v[placeholder] == 0).all()
    assert (v[(flag == 1) & (x > 0) & (y > 0)] > 0).mean() > 0.999
    assert (lsp_extended_converted / 'images' / 'im10000.jpg').is_file()
