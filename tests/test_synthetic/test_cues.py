# Copyright (c) hsjp-mmpose contributors.
"""The cues that tell a generated person's front from their back (and so left from right)
the way photos do: a face, hair at the back, a garment front, profiles; face keypoints of
a person seen from behind unlabelled; side shading only when asked for; features large
enough to read at the network's 128x96 input."""
import cv2
import numpy as np
import pytest

from hsjp_mmpose.synthetic import render
from hsjp_mmpose.synthetic.levels import get_data_level
from hsjp_mmpose.synthetic.preview import contact_sheet, person_crop
from hsjp_mmpose.synthetic.render import MIN_CONTRAST, _outfit, luma, render_layers
from hsjp_mmpose.synthetic.skeleton import HEAD, HEAD_FRONT, sample_body, sample_camera

SIZE = (320, 256)
SEEDS = range(8)


@pytest.fixture
def exact_colours(monkeypatch):
    """No exposure change or sensor noise: drawn colours stay exact."""
    monkeypatch.setattr(render, '_finish', lambda image, rng: None)


def _view(seed: int, yaw: float, **factors):
    level = get_data_level('easy', dict(clutter=0., **factors))
    rng = np.random.default_rng(seed)
    cam = sample_camera(rng, SIZE)
    image, people, labels, parts = render_layers(rng, cam, SIZE, level, yaw=yaw)
    return image, people[0], labels, {p.name: p for p in parts if p.person == 0}


def _head_facing(person) -> float:
    """Cosine between the head's forward axis and the ray to the camera."""
    pts = person.body.points
    fwd = pts[HEAD_FRONT] - pts[HEAD]
    return float(fwd @ -pts[HEAD] / np.linalg.norm(fwd) / np.linalg.norm(pts[HEAD]))


def _skin_share(image, person, labels, parts) -> float:
    mask = labels == parts['head'].label
    skin = np.abs(image[mask].astype(float) - person.outfit['skin']).max(axis=1) < 3
    return float(skin.mean())


def _interior(labels, part):
    mask = (labels == part.label).astype(np.uint8)
    return cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)


def test_side_shading_off_by_default_and_on_when_asked(exact_colours):
    checked = 0
    for seed in SEEDS:
        for shading in (False, True):
            image, person, labels, parts = _view(seed, 0., side_shading=shading)
            left, right = (_interior(labels, parts[f'{s}_thigh']) for s in ('left', 'right'))
            if left.sum() < 30 or right.sum() < 30:
                break
            diff = luma(image[left].mean(0)) - luma(image[right].mean(0))
            if shading:
                assert diff > 20, (seed, diff)
                checked += 1
            else:
                assert abs(diff) < 1.5, (seed, diff)
    assert checked >= 4


def test_front_and_back_views_differ_in_the_head(exact_colours):
    front, back = [], []
    for seed in SEEDS:
        for yaw in (0., 180.):
            image, person, labels, parts = _view(seed, yaw)
            facing = _head_facing(person)
            if facing > 0.7:
                front.append(_skin_share(image, person, labels, parts))
            elif facing < -0.7:
                back.append(_skin_share(image, person, labels, parts))
                # seen from behind, the eyes and nose are not labelled (COCO practice)
                assert (person.visibility[:3] == 0).all()
    assert len(front) >= 4 and len(back) >= 4, (front, back)
    # a face from the front, hair (or a hood) from behind
    assert min(front) > 0.2 and max(back) < 0.05, (front, back)


def test_cues_change_only_the_side_they_belong_to(exact_colours):
    """Each cue, switched off, changes the view it belongs on and hardly the other (every
    random draw is made either way)."""
    checked = 0
    for seed in SEEDS:
        shots = {(yaw, cue): _view(seed, yaw, **{cue: False}) if cue else _view(seed, yaw)
                 for yaw in (0., 180.) for cue in (None, 'face', 'garment_front')}
        base_front, base_back = shots[(0., None)], shots[(180., None)]
        if _head_facing(base_front[1]) < 0.7 or _head_facing(base_back[1]) > -0.7:
            continue
        for cue, part in (('face', 'head'), ('garment_front', 'torso')):
            changed = (shots[(0., cue)][0] != base_front[0]).any(axis=2)
            inside = base_front[2] == base_front[3][part].label
            near = cv2.dilate(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            # the front view changes, inside that part only (and its anti-aliased edge)
            assert changed[inside].sum() > 20 and not changed[~near].any(), (seed, cue)
            # the back view hardly (the edge of a cheek or jaw may show)
            changed_back = (shots[(180., cue)][0] != base_back[0]).any(axis=2)
            assert changed_back.sum() < 0.15 * changed.sum(), (seed, cue)
        checked += 1
    assert checked >= 3


def test_profiles_face_the_way_the_person_faces(exact_colours):
    checked = 0
    for seed in SEEDS:
        for yaw in (90., -90.):
            image, person, labels, parts = _view(seed, yaw)
            pts = person.body.points
            fwd = (pts[HEAD_FRONT] - pts[HEAD]) / person.body.head_radius
            if abs(fwd[0]) < 0.8:  # the head is not in profile
                continue
            mask = labels == parts['head'].label
            skin = mask & (np.abs(image.astype(float) - person.outfit['skin']).max(2) < 3)
            head_x = np.flatnonzero(mask.any(0)).mean()
            face_x = np.flatnonzero(skin.any(0)).mean()
            assert np.sign(face_x - head_x) == np.sign(fwd[0]), (seed, yaw)
            # the far eye is not labelled
            assert person.visibility[1:3].min() == 0
            checked += 1
    assert checked >= 4


def test_features_are_legible_at_the_network_input():
    """Eyes at least 2 px across in the 128x96 crop; a head of a real adult's size."""
    level = get_data_level('easy')
    eyes, heads = [], []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        cam = sample_camera(rng, SIZE)
        image, people, _, _ = render_layers(rng, cam, SIZE, level)
        person = people[0]
        crop, kpts = person_crop(image, person)
        assert crop.shape == (128, 96, 3)
        # pixels of the crop per image pixel, from two keypoints far apart
        k = np.flatnonzero(person.visibility > 0)
        a = k[0]
        b = k[np.argmax(np.linalg.norm(person.keypoints_2d[k] - person.keypoints_2d[a], axis=1))]
        scale = np.linalg.norm(kpts[b] - kpts[a]) / np.linalg.norm(
            person.keypoints_2d[b] - person.keypoints_2d[a])
        r_px = cam.fx * person.body.head_radius / person.body.points[HEAD, 2]
        eyes.append(2 * 0.22 * r_px * scale)
        heads.append(r_px * scale)
    assert np.median(eyes) >= 2. and np.percentile(eyes, 10) >= 1.7, eyes
    assert 4. < np.median(heads) < 8., heads
    # head height (chin to crown, 2.4 radii) against standing height: 1/7 to 1/8.5
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(20):
        body = sample_body(rng, kind='standing')
        ratios.append(2.4 * body.head_radius / np.ptp(body.points[:, 1]))
    assert 1 / 8.5 < np.median(ratios) < 1 / 7, ratios


def test_hair_and_features_contrast_with_skin():
    rng = np.random.default_rng(0)
    for _ in range(300):
        out = _outfit(rng)
        skin = luma(out['skin'])
        assert abs(luma(out['hair']) - skin) >= MIN_CONTRAST - 0.5
        assert abs(luma(out['hood']) - skin) >= MIN_CONTRAST - 0.5
        assert abs(luma(out["eyes"]) - skin) >= MIN_CONTRAST - 0.5
        assert abs(luma(out["mouth"]) - skin) >= 34.5


def test_contact_sheet():
    sheet = contact_sheet('easy', seeds=range(2), yaws=(0., 180.), upscale=2)
    assert sheet.dtype == np.uint8 and sheet.shape == (22 + 2 * (256 + 4), 2 * (2 * 192 + 4 + 8),
                                                       3)
    assert sheet.std() > 10


def test_preview_command(tmp_path, capsys):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / 'tools' / 'make_synthetic_coco.py'
    spec = importlib.util.spec_from_file_location('make_synthetic_coco', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tool.main(['--preview', str(tmp_path / 'sheet.png'), '--level', 'hard', '--rows', '1',
                     '--yaws', '0', '180', '--set', 'side_shading=true'])
    assert cv2.imread(str(out)).shape == (22 + 128 * 3 + 4, 2 * (2 * 96 * 3 + 4 + 8), 3)
    with pytest.raises(SystemExit):
        tool.main(['--num-train', '1'])
    assert '--out' in capsys.readouterr().err


def test_share_of_people_seen_from_behind():
    from hsjp_mmpose.synthetic.render import _sample_yaw
    rng = np.random.default_rng(0)
    for fields, share in ((dict(max_yaw=180.), 0.2), (dict(max_yaw=180., back_share=0.5), 0.5),
                          (dict(max_yaw=60.), 0.)):
        level = get_data_level('easy', fields)
        yaws = np.array([_sample_yaw(rng, level) for _ in range(4000)])
        assert np.abs(yaws).max() <= level.max_yaw
        assert abs((np.abs(yaws) > 90).mean() - share) < 0.03, (fields, share)
        assert abs((yaws > 0).mean() - 0.5) < 0.03  # both ways
    # back_share 0.5 with max_yaw 180 is a uniform turn
    uniform = [_sample_yaw(rng, get_data_level('hard', dict(back_share=0.5))) for _ in range(4000)]
    assert np.histogram(uniform, bins=6, range=(-180, 180))[0].min() > 550
