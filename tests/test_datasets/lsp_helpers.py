# Copyright (c) hsjp-mmpose contributors.
"""Hand-made LSP / LSP Extended folders: ``joints.mat`` in the published shapes (written
with scipy.io.savemat) and tiny generated JPEG images, with the COCO visibility and boxes
the converter must give."""
from pathlib import Path
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from scipy.io import savemat

#: Small splits for the hand-made folders (monkeypatch ``lsp.SPLITS`` with them).
TINY_SPLITS = dict(lspet=dict(train=(1, 3), val=(4, 5), test=(6, 6)),
                   lsp=dict(train=(1, 2), test=(3, 4)))
IMAGE_NAMES = dict(lspet='im{:05d}.jpg', lsp='im{:04d}.jpg')

# A person in unit coordinates, LSP's joint order: right ankle, knee, hip, left hip, knee,
# ankle, right wrist, elbow, shoulder, left shoulder, elbow, wrist, neck, head top.
TEMPLATE = np.array([[0.3, 1.0], [0.32, 0.75], [0.35, 0.5], [0.65, 0.5], [0.68, 0.75],
                     [0.7, 1.0], [0.1, 0.45], [0.2, 0.35], [0.3, 0.2], [0.7, 0.2],
                     [0.8, 0.35], [0.9, 0.45], [0.5, 0.15], [0.5, 0.0]])


def _pose(x0: float, y0: float, sx: float, sy: float, flag: float) -> np.ndarray:
    out = np.empty((14, 3))
    out[:, 0] = x0 + sx * TEMPLATE[:, 0]
    out[:, 1] = y0 + sy * TEMPLATE[:, 1]
    out[:, 2] = flag
    return out


def lspet_people() -> Tuple[np.ndarray, List[Tuple[int, int]], np.ndarray]:
    """Six LSP Extended people (flag 1 visible): ``joints (6, 14, 3)``, image sizes
    ``(width, height)`` and the expected COCO visibility ``(6, 14)``.

    1. 64 x 48: right knee not visible inside (v1), right wrist the placeholder
       ``(0, -4.5)``, left wrist the placeholder ``(0, 0)``, right ankle flagged
       visible but right of the image (all v0).
    2. 50 x 40: all visible, the box's margin clipped at the top and bottom.
    3. 32 x 32: head top visible at exactly ``(0, 0)`` (v2: not a placeholder), left
       ankle at the last pixel, right ankle at ``x == width`` (v0), right wrist not
       visible above the image (v0).
    4. 40 x 30: no labelled joint (placeholders only): no annotation.
    5. 40 x 30: one labelled joint: an empty box, no annotation.
    6. 40 x 40: all visible but the neck (v1).
    """
    vis, flag0 = 1., 0.
    people, sizes, expected = [], [], []

    p = _pose(10.25, 5.5, 30, 30, vis)
    p[1, 2] = flag0
    p[6] = (0., -4.5, flag0)
    p[11] = (0., 0., flag0)
    p[0] = (70.5, 20., vis)
    people.append(p), sizes.append((64, 48))
    expected.append([0, 1, 2, 2, 2, 2, 0, 2, 2, 2, 2, 0, 2, 2])

    people.append(_pose(1.5, 0.5, 47, 38.5, vis)), sizes.append((50, 40))
    expected.append([2] * 14)

    p = _pose(2., 3., 20, 25, vis)
    p[13] = (0., 0., vis)
    p[5] = (31.5, 31.75, vis)
    p[0] = (32., 20., vis)
    p[6] = (10., -0.5, flag0)
    people.append(p), sizes.append((32, 32))
    expected.append([0, 2, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 2, 2])

    p = np.zeros((14, 3))
    p[0::3, 1] = -np.arange(1, 6) * 7.5  # (0, negative)
    p[1::3, 0] = -np.arange(1, 6) * 3.25  # (negative, 0); the rest (0, 0)
    people.append(p), sizes.append((40, 30))
    expected.append([0] * 14)

    p = np.zeros((14, 3))
    p[12] = (12., 10., vis)
    people.append(p), sizes.append((40, 30))
    expected.append([0] * 12 + [2, 0])

    p = _pose(5.125, 4.375, 30, 32, vis)
    p[12, 2] = flag0
    people.append(p), sizes.append((40, 40))
    expected.append([2] * 12 + [1, 2])
    return np.stack(people), sizes, np.array(expected)


#: The expected box (xywh) and area of hand-made LSP Extended people 1-3 at margin 0.1.
LSPET_BOXES = {1: ([14.45, 2.5, 21.6, 36.0], 0.53 * 21.6 * 36.0),
               2: ([2.44, 0.0, 45.12, 40.0], 0.53 * 45.12 * 40.0),
               3: ([0.0, 0.0, 32.0, 32.0], 0.53 * 32 * 32)}


def lsp_people() -> Tuple[np.ndarray, List[Tuple[int, int]], np.ndarray]:
    """Four people of the original LSP (flag 1 **occluded**, 0 visible), as
    :func:`lspet_people`.

    1. 48 x 64: right knee occluded inside (v1), head top occluded at ``(0, 0)`` (v0),
       right ankle visible left of the image (v0).
    2. 40 x 40: all visible.
    3. 40 x 40: head top visible at ``(0, 0)`` (v2).
    4. 40 x 40: right wrist occluded (v1).
    """
    vis, occluded = 0., 1.
    people, sizes, expected = [], [], []
    p = _pose(8.5, 6.25, 30, 50, vis)
    p[1, 2] = occluded
    p[13] = (0., 0., occluded)
    p[0] = (-2.5, 30., vis)
    people.append(p), sizes.append((48, 64))
    expected.append([0, 1] + [2] * 11 + [0])
    people.append(_pose(0.5, 1.5, 39, 37.25, vis)), sizes.append((40, 40))
    expected.append([2] * 14)
    p = _pose(3.75, 2.5, 30, 30, vis)
    p[13] = (0., 0., vis)
    people.append(p), sizes.append((40, 40))
    expected.append([2] * 14)
    p = _pose(4.5, 3.5, 31, 33, vis)
    p[6, 2] = occluded
    people.append(p), sizes.append((40, 40))
    expected.append([2] * 6 + [1] + [2] * 7)
    return np.stack(people), sizes, np.array(expected)


def write_joints_mat(path: Path, joints: np.ndarray, kind: str, **other) -> Path:
    """``joints`` ``(N, 14, 3)`` as the authors publish it: 14 x 3 x N (``'lspet'``)
    or 3 x 14 x N (``'lsp'``)."""
    published = joints.transpose(1, 2, 0) if kind == 'lspet' else joints.transpose(2, 1, 0)
    savemat(str(path), dict(joints=published, **other))
    return path


def write_images(image_dir: Path, sizes: Sequence[Tuple[int, int]], kind: str) -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    for number, (width, height) in enumerate(sizes, 1):
        image = np.full((height, width, 3), 40 * number % 255, np.uint8)
        assert cv2.imwrite(str(image_dir / IMAGE_NAMES[kind].format(number)), image)


def write_lsp_folder(root: Path, joints: np.ndarray, sizes: Sequence[Tuple[int, int]],
                     kind: str = 'lspet') -> Path:
    """A published-looking folder: ``root/joints.mat`` and ``root/images/``."""
    root.mkdir(parents=True, exist_ok=True)
    write_joints_mat(root / 'joints.mat', joints, kind)
    write_images(root / 'images', sizes, kind)
    return root


def write_full_lsp_folder(root: Path) -> Path:
    """An original-LSP folder with the real split's 2,000 people (the hand-made four,
    repeated), every image a link to one tiny JPEG: the command line's test needs no
    monkeypatched split."""
    joints, _, _ = lsp_people()
    joints = np.concatenate([joints] * 500)
    root.mkdir(parents=True)
    write_joints_mat(root / 'joints.mat', joints, 'lsp')
    images = root / 'images'
    images.mkdir()
    first = images / IMAGE_NAMES['lsp'].format(1)
    assert cv2.imwrite(str(first), np.full((64, 64, 3), 90, np.uint8))
    for number in range(2, len(joints) + 1):
        (images / IMAGE_NAMES['lsp'].format(number)).hardlink_to(first)
    return root


def write_lspet_photos(root: Path, num_people: int, size: Tuple[int, int] = (96, 120),
                       seed: int = 0) -> Path:
    """A published-looking LSP Extended folder of ``num_people`` whole, visible people
    (the template, randomly placed, scaled and jittered) on textured images (random
    noise, so that an erased or moved region shows in the pixels) of ``size`` (w, h); use
    it with a monkeypatched ``lsp.SPLITS`` whose last image is ``num_people``."""
    rng = np.random.default_rng(seed)
    width, height = size
    people = []
    for _ in range(num_people):
        sx, sy = rng.uniform(0.5, 0.7) * width, rng.uniform(0.55, 0.75) * height
        x0, y0 = rng.uniform(0.05 * width, width - sx - 0.05 * width), \
            rng.uniform(0.05 * height, height - sy - 0.05 * height)
        p = _pose(x0, y0, sx, sy, 1.)
        p[:, :2] += rng.uniform(-1.5, 1.5, (14, 2))
        people.append(p)
    root.mkdir(parents=True, exist_ok=True)
    write_joints_mat(root / 'joints.mat', np.stack(people), 'lspet')
    image_dir = root / 'images'
    image_dir.mkdir()
    for number in range(1, num_people + 1):
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        assert cv2.imwrite(str(image_dir / IMAGE_NAMES['lspet'].format(number)), image)
    return root


def photo_splits(train: int, val: int = 2, test: int = 2) -> dict:
    """``lsp.SPLITS`` for :func:`write_lspet_photos`: the first ``train`` people train,
    then ``val`` and ``test`` people."""
    return dict(TINY_SPLITS, lspet=dict(train=(1, train), val=(train + 1, train + val),
                                        test=(train + val + 1, train + val + test)))


def converted_lspet_photos(root: Path, splits: dict) -> Path:
    """:func:`write_lspet_photos` in ``root/published`` (as many people as ``splits``
    needs), converted with ``lsp.SPLITS`` = ``splits`` into ``root/converted``."""
    import pytest

    from hsjp_mmpose.datasets.converters import lsp
    published = write_lspet_photos(root / 'published', splits['lspet']['test'][1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lsp, 'SPLITS', splits)
        lsp.convert_lsp(published, root / 'converted')
    return root / 'converted'
