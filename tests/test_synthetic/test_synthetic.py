# Copyright (c) hsjp-mmpose contributors.
"""The synthetic-people generator: format, determinism, visibility, projection, errors,
and that MMPose's CocoDataset and CocoMetric accept its files."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from hsjp_mmpose.synthetic import SPLITS, generate_synthetic_coco, image_rng
from hsjp_mmpose.synthetic.levels import (DATA_LEVELS, DataLevel, get_data_level,
                                                   parse_level_overrides)
from hsjp_mmpose.synthetic.render import (OCCLUDER_LABEL, annotate_visibility,
                                                   render_layers)
from hsjp_mmpose.synthetic.skeleton import (COCO_KEYPOINT_NAMES, sample_body,
                                                     sample_camera)


def _load(root: Path, split: str) -> dict:
    return json.loads((root / 'annotations' / f'person_keypoints_{split}.json').read_text())


def _tree_bytes(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file()}


def test_format(synthetic_coco):
    for split, num_images in (('train', 24), ('val', 8)):
        data = _load(synthetic_coco, split)
        assert list(data) == ['info', 'licenses', 'images', 'annotations', 'categories']
        assert len(data['images']) == num_images
        cat, = data['categories']
        assert cat['id'] == 1 and cat['name'] == 'person'
        assert cat['keypoints'] == list(COCO_KEYPOINT_NAMES) and len(cat['skeleton']) == 19
        images = {img['id']: img for img in data['images']}
        for img in data['images']:
            path = synthetic_coco / 'images' / split / img['file_name']
            assert path.is_file()
            assert cv2.imread(str(path)).shape == (img['height'], img['width'], 3) == (256, 320, 3)
            assert set(img['cam_param']) == {'f', 'c'}
            assert len(img['cam_param']['f']) == len(img['cam_param']['c']) == 2
        assert data['annotations'], 'no people generated'
        per_image = {}
        for ann in data['annotations']:
            assert ann['image_id'] in images and ann['category_id'] == 1 and ann['iscrowd'] == 0
            per_image[ann['image_id']] = per_image.get(ann['image_id'], 0) + 1
            assert len(ann['keypoints']) == 51 and np.array(ann['keypoints_3d']).shape == (17, 3)
            vis = ann['keypoints'][2::3]
            assert all(isinstance(v, int) and v in (0, 1, 2) for v in vis)
            assert ann['num_keypoints'] == sum(v > 0 for v in vis)
            x, y, w, h = ann['bbox']
            assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 320 and y + h <= 256
            assert 0 < ann['area'] <= w * h
        assert set(per_image.values()) <= {1, 2, 3}
        assert len({ann['id'] for ann in data['annotations']}) == len(data['annotations'])


def test_visibility_and_projection(synthetic_coco):
    counts = np.zeros(3, int)
    for split in SPLITS:
        data = _load(synthetic_coco, split)
        cams = {img['id']: img['cam_param'] for img in data['images']}
        for ann in data['annotations']:
            cam = cams[ann['image_id']]
            xyz = np.array(ann['keypoints_3d'])
            assert (xyz[:, 2] > 0).all()
            proj = np.stack([cam['f'][0] * xyz[:, 0] / xyz[:, 2] + cam['c'][0],
                             cam['f'][1] * xyz[:, 1] / xyz[:, 2] + cam['c'][1]], axis=1)
            kpts = np.array(ann['keypoints'], float).reshape(17, 3)
            vis = kpts[:, 2].astype(int)
            labelled = vis > 0
            # 2D keypoints are the projection of the 3D ones (stored to 0.01 px).
            assert np.abs(proj[labelled] - kpts[labelled, :2]).max(initial=0) < 0.006
            # v > 0 only inside the image; v = 0 carries no coordinates (COCO convention).
            assert ((kpts[labelled, :2] >= 0) & (kpts[labelled, :2] <= (319, 255))).all()
            assert (kpts[~labelled, :2] == 0).all()
            outside = ((proj < 0) | (proj > (319, 255))).any(axis=1)
            assert (vis[outside] == 0).all()
            if ann['num_keypoints'] == 0:  # a hidden (or fully cut off) person keeps its box
                assert ann['bbox'][2] > 0 and ann['bbox'][3] > 0
            counts += np.bincount(vis, minlength=3)
    # Truncation, occlusion and visible keypoints all occur.
    assert (counts > 0).all() and counts[2] > counts[1], counts


def _layers(seed: int = 3, hide_prob: float = 0.0):
    rng = np.random.default_rng(seed)
    cam = sample_camera(rng, (320, 256))
    return render_layers(rng, cam, (320, 256), DataLevel(hide_prob=hide_prob))


def test_visibility_follows_the_label_map():
    image, people, labels, parts = _layers()
    index, person = next((i, p) for i, p in enumerate(people) if (p.visibility == 2).any())
    before = person.visibility.copy()
    k = int(np.flatnonzero(before == 2)[0])
    xi, yi = np.round(person.keypoints_2d[k]).astype(int)
    # An occluder over the keypoint's pixel makes it occluded (1), nothing else changes.
    labels[yi, xi] = OCCLUDER_LABEL
    annotate_visibility(people, parts, labels)
    expected = before.copy()
    expected[k] = 1
    np.testing.assert_array_equal(person.visibility, expected)
    # The person's own part that does not hold the keypoint (self-occlusion) also hides it.
    other = next(p for p in parts if p.person == index and k not in p.keypoints)
    labels[yi, xi] = other.label
    annotate_visibility(people, parts, labels)
    np.testing.assert_array_equal(person.visibility, expected)
    # When no pixel of the person shows, it is hidden: all zeros, box kept.
    mine = [p.label for p in parts if p.person == index]
    labels[np.isin(labels, mine)] = OCCLUDER_LABEL
    annotate_visibility(people, parts, labels)
    assert person.hidden and (person.visibility == 0).all() and person.bbox[2] > 0


def test_hidden_people_are_annotated_as_such():
    _, people, _, _ = _layers(seed=5, hide_prob=1.0)
    assert people and all(p.hidden and (p.visibility == 0).all() and p.area > 0 for p in people)


def test_skeleton_is_plausible():
    rng = np.random.default_rng(0)
    for _ in range(50):
        body = sample_body(rng)
        p = body.points
        # left joints are on the person's left (+X) at the hips, shoulders, eyes, ears
        for left, right in ((11, 12), (5, 6), (1, 2), (3, 4)):
            assert p[left, 0] > p[right, 0]
        for a, b, low, high in ((5, 7, 220, 360), (7, 9, 190, 310), (11, 13, 330, 520),
                                (13, 15, 320, 510)):
            assert low < np.linalg.norm(p[a] - p[b]) < high
        assert p[0, 1] > p[11, 1]  # the head is above the hips


def test_determinism(tmp_path):
    a = generate_synthetic_coco(tmp_path / 'a', 6, 2, seed=7)
    generate_synthetic_coco(tmp_path / 'b', 6, 2, seed=7, workers=2)  # a pool: same bytes
    generate_synthetic_coco(tmp_path / 'c', 6, 2, seed=8)
    assert a['num_images'] == dict(train=6, val=2) and a['seconds'] > 0
    bytes_a = _tree_bytes(tmp_path / 'a')
    assert len(bytes_a) == 10
    assert bytes_a == _tree_bytes(tmp_path / 'b')
    bytes_c = _tree_bytes(tmp_path / 'c')
    assert bytes_a.keys() == bytes_c.keys()
    assert all(bytes_a[k] != bytes_c[k] for k in bytes_a)
    # train and val images differ, and an image does not depend on how many are made
    assert image_rng(7, 'train', 0).random() != image_rng(7, 'val', 0).random()


@pytest.mark.parametrize('kwargs, name', [
    (dict(num_train=-1), 'num_train'),
    (dict(num_val=1.5), 'num_val'),
    (dict(num_train=0, num_val=0), 'num_train'),
    (dict(image_size=(10, 256)), 'image_size'),
    (dict(image_size=(320,)), 'image_size'),
    (dict(seed=-3), 'seed'),
    (dict(workers=0), 'workers'),
])
def test_bad_arguments(tmp_path, kwargs, name):
    args = {**dict(out_dir=tmp_path / 'out', num_train=2, num_val=1), **kwargs}
    with pytest.raises(ValueError, match=name):
        generate_synthetic_coco(**args)
    assert not (tmp_path / 'out').exists()


def test_bad_out_dir(tmp_path):
    afile = tmp_path / 'file.txt'
    afile.write_text('x')
    for out in (afile, afile / 'sub', ''):
        with pytest.raises(ValueError, match='out_dir'):
            generate_synthetic_coco(out, 2, 1)
    assert afile.read_text() == 'x'


def test_command_line(tmp_path, capsys):
    import importlib.util
    path = Path(__file__).resolve().parents[2] / 'tools' / 'make_synthetic_coco.py'
    spec = importlib.util.spec_from_file_location('make_synthetic_coco', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as exc:
        tool.main(['--out', str(tmp_path / 'x'), '--num-train', '-2', '--num-val', '1'])
    assert exc.value.code == 2 and '--num-train' in capsys.readouterr().err
    assert not (tmp_path / 'x').exists()
    summary = tool.main(['--out', str(tmp_path / 'y'), '--num-train', '2', '--num-val', '1',
                         '--image-size', '160', '128'])
    assert 'images/s' in capsys.readouterr().out
    assert summary['num_images'] == dict(train=2, val=1)
    assert cv2.imread(str(tmp_path / 'y/images/val/000001.jpg')).shape == (128, 160, 3)


def _coco_dataset(root: Path, split: str = 'val'):
    from mmpose.datasets import CocoDataset
    return CocoDataset(data_root=str(root), data_mode='topdown', test_mode=True,
                       ann_file=f'annotations/person_keypoints_{split}.json',
                       data_prefix=dict(img=f'images/{split}/'), pipeline=[])


def test_mmpose_coco_dataset_loads(synthetic_coco):
    for split in SPLITS:
        dataset = _coco_dataset(synthetic_coco, split)
        anns = _load(synthetic_coco, split)['annotations']
        assert len(dataset) == sum(a['num_keypoints'] > 0 for a in anns) > 0
        info = dataset[0]
        assert Path(info['img_path']).is_file()
        assert info['keypoints'].shape == (1, 17, 2) and info['keypoints_visible'].shape == (1, 17)
        assert dataset.metainfo['num_keypoints'] == 17


def test_mmpose_coco_metric_gives_ap_1_on_ground_truth(synthetic_coco, tmp_path):
    from mmpose.evaluation.metrics import CocoMetric
    dataset = _coco_dataset(synthetic_coco)
    metric = CocoMetric(ann_file=str(synthetic_coco / 'annotations/person_keypoints_val.json'),
                        outfile_prefix=str(tmp_path / 'val'))
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        x1, y1, x2, y2 = info['bbox'][0]
        sample = dict(
            id=info['id'], img_id=info['img_id'], category_id=1, ori_shape=(256, 320),
            gt_instances=dict(bboxes=info['bbox'], bbox_scores=np.ones(1, np.float32),
                              bbox_scales=np.array([[x2 - x1, y2 - y1]]) * 1.25),
            pred_instances=dict(keypoints=info['keypoints'], bbox_scores=np.ones(1, np.float32),
                                keypoint_scores=np.ones((1, 17), np.float32)))
        metric.process([dict(inputs=None)], [sample])
    results = metric.evaluate(size=len(dataset))
    assert results['coco/AP'] == pytest.approx(1.0)
    assert results['coco/AR'] == pytest.approx(1.0)


def test_clutter_level(tmp_path):
    plain = generate_synthetic_coco(tmp_path / 'plain', 3, 0, seed=5, clutter=0.)
    again = generate_synthetic_coco(tmp_path / 'again', 3, 0, seed=5, clutter=0.)
    generate_synthetic_coco(tmp_path / 'full', 3, 0, seed=5)
    assert Path(plain['ann_files']['train']).read_bytes() == \
        Path(again['ann_files']['train']).read_bytes()
    level = json.loads(Path(plain['ann_files']['train']).read_text())['info']['level']
    assert level['clutter'] == level['occluders'] == level['hide_prob'] == 0
    assert (tmp_path / 'plain/images/train/000001.jpg').read_bytes() != \
        (tmp_path / 'full/images/train/000001.jpg').read_bytes()
    with pytest.raises(ValueError, match='clutter'):
        generate_synthetic_coco(tmp_path / 'bad', 1, 0, clutter=-1)


def _visibility_stats(root: Path) -> dict:
    data = _load(root, 'train')
    vis = np.array([a['keypoints'][2::3] for a in data['annotations']])
    per_image = np.bincount([a['image_id'] for a in data['annotations']])
    heights = np.array([a['bbox'][3] for a in data['annotations']]) / 256
    # body keypoints only: a face point on the far side of the head is v=0 at every level
    return dict(occluded=float((vis == 1).mean()), outside=float((vis[:, 5:] == 0).mean()),
                max_people=int(per_image.max()), min_height=float(heights.min()))


def test_levels_order_difficulty(tmp_path):
    stats = {name: _visibility_stats(Path(generate_synthetic_coco(
        tmp_path / name, 40, 0, seed=1, level=name)['out_dir'])) for name in DATA_LEVELS}
    easy, medium, hard = stats['easy'], stats['medium'], stats['hard']
    # easy: one whole, large person per image, few covered keypoints
    assert easy['max_people'] == 1 and easy['outside'] == 0 and easy['min_height'] > 0.6
    assert easy['occluded'] < medium['occluded'] < hard['occluded'], stats
    assert hard['max_people'] == 3 and hard['outside'] > 0


def test_level_arguments(tmp_path):
    assert get_data_level('easy', dict(occluders=1.)).occluders == 1.
    assert get_data_level(dict(base='easy', max_yaw=180)) == \
        DataLevel(**{**DATA_LEVELS['easy'].to_dict(), 'max_yaw': 180.})
    assert parse_level_overrides(['limb_distractors=true', 'height_range=0.5,0.9',
                                  'max_people=2', 'side_shading=1', 'face=false',
                                  'head_scale=1.2', 'back_share=0.5']) == dict(
        limb_distractors=True, height_range=(0.5, 0.9), max_people=2, side_shading=True,
        face=False, head_scale=1.2, back_share=0.5)
    # the cues are on and the shortcut is off at every level
    for level in DATA_LEVELS.values():
        assert level.face and level.hair and level.garment_front and not level.side_shading
        assert level.head_scale == 1.
    for bad, match in ((dict(level='extreme'), 'easy, medium, hard'),
                       (dict(level=dict(occluders=5)), 'occluders'),
                       (dict(level=dict(base='easy', side_shading='yes')), 'side_shading'),
                       (dict(level=dict(base='easy', head_scale=3)), 'head_scale'),
                       (dict(level=dict(base='easy', wings=2)), 'wings'),
                       (dict(max_people=4), 'max_people')):
        with pytest.raises(ValueError, match=match):
            generate_synthetic_coco(tmp_path / 'bad', 1, 0, **bad)
    assert not (tmp_path / 'bad').exists()
    with pytest.raises(ValueError, match='NAME=VALUE'):
        parse_level_overrides(['wings'])
