# Copyright (c) hsjp-mmpose contributors.
"""Contact sheets of generated people as the network sees them.

Each cell is one person cropped exactly as the small configs crop it (MMPose's
``GetBBoxCenterScale`` with padding 1.25, then ``TopdownAffine`` to 128x96), shown
twice, upscaled: the bare crop (can you tell the person's left from their right?) and the
same crop with the keypoints, the person's left side in one colour and the right in
another. Rows are poses (seeds), columns the turns away from the camera (``yaws``): the
same pose, background and clothes at every yaw.
"""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .levels import DataLevel, get_data_level
from .render import RenderedPerson, render_image
from .skeleton import COCO_SKELETON, sample_camera

#: BGR colours of the keypoints: the person's left, right, and the nose.
LEFT_COLOR, RIGHT_COLOR, CENTER_COLOR = (255, 140, 0), (0, 60, 255), (0, 200, 0)
_LEFT = (1, 3, 5, 7, 9, 11, 13, 15)
_RIGHT = (2, 4, 6, 8, 10, 12, 14, 16)


def person_crop(image: np.ndarray, person: RenderedPerson,
                input_size: Tuple[int, int] = (96, 128), padding: float = 1.25
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Crop a person as MMPose's top-down pipeline does (no augmentation).

    Returns:
        tuple: the crop (BGR, shape (h, w, 3) for ``input_size`` = (w, h)) and the person's
        keypoints in it, shape (17, 2).
    """
    from mmpose.datasets.transforms import GetBBoxCenterScale, TopdownAffine
    x, y, w, h = person.bbox
    results = dict(img=image.copy(), bbox=np.array([[x, y, x + w, y + h]], np.float32),
                   keypoints=person.keypoints_2d[None].astype(np.float32),
                   keypoints_visible=(person.visibility > 0)[None].astype(np.float32))
    results = GetBBoxCenterScale(padding=padding)(results)
    results = TopdownAffine(input_size=input_size)(results)
    return results['img'], results['transformed_keypoints'][0]


def draw_keypoints(crop: np.ndarray, keypoints: np.ndarray, visibility: np.ndarray,
                   upscale: int = 3) -> np.ndarray:
    """The crop upscaled, with its skeleton: left side :data:`LEFT_COLOR`, right side
    :data:`RIGHT_COLOR`; visible keypoints (v=2) filled, occluded ones (v=1) hollow,
    unlabelled ones (v=0) not drawn."""
    big = cv2.resize(crop, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_NEAREST)
    pts = (keypoints + 0.5) * upscale - 0.5

    def color(k):
        return LEFT_COLOR if k in _LEFT else RIGHT_COLOR if k in _RIGHT else CENTER_COLOR

    for a, b in COCO_SKELETON:
        a, b = a - 1, b - 1
        if visibility[a] > 0 and visibility[b] > 0:
            col = color(a) if color(a) == color(b) else (200, 200, 200)
            cv2.line(big, tuple(np.round(pts[a]).astype(int).tolist()),
                     tuple(np.round(pts[b]).astype(int).tolist()), col, 1, cv2.LINE_AA)
    for k in range(len(pts)):
        if visibility[k] > 0:
            cv2.circle(big, tuple(np.round(pts[k]).astype(int).tolist()), 3, color(k),
                       -1 if visibility[k] == 2 else 1, cv2.LINE_AA)
    return big


def render_view(seed: int, yaw: float, level: Union[str, DataLevel, dict] = 'easy',
                image_size: Tuple[int, int] = (320, 256)
                ) -> Tuple[np.ndarray, RenderedPerson]:
    """Render the image of ``seed`` with its first person turned by ``yaw`` degrees.
    Returns the image and that person."""
    rng = np.random.default_rng(seed)
    cam = sample_camera(rng, image_size)
    image, people = render_image(rng, cam, image_size, get_data_level(level), yaw=yaw)
    return image, people[0]


def contact_sheet(level: Union[str, DataLevel, dict] = 'easy', seeds: Sequence[int] = range(4),
                  yaws: Sequence[float] = (0., 90., 180.), upscale: int = 3,
                  input_size: Tuple[int, int] = (96, 128),
                  title: Optional[str] = None) -> np.ndarray:
    """A BGR image: one row per seed, for each yaw the bare crop and the annotated crop."""
    w, h = input_size
    gap = 4
    cell_w = 2 * w * upscale + gap
    header = 22
    sheet = np.full((header + len(seeds) * (h * upscale + gap), len(yaws) * (cell_w + 2 * gap),
                     3), 255, np.uint8)
    for j, yaw in enumerate(yaws):
        x0 = j * (cell_w + 2 * gap)
        cv2.putText(sheet, f'yaw {yaw:g}', (x0 + 4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
    if title:
        cv2.putText(sheet, title, (sheet.shape[1] // 2, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
    for i, seed in enumerate(seeds):
        y0 = header + i * (h * upscale + gap)
        for j, yaw in enumerate(yaws):
            image, person = render_view(seed, yaw, level)
            crop, kpts = person_crop(image, person, input_size)
            x0 = j * (cell_w + 2 * gap)
            bare = cv2.resize(crop, None, fx=upscale, fy=upscale,
                              interpolation=cv2.INTER_NEAREST)
            sheet[y0:y0 + h * upscale, x0:x0 + w * upscale] = bare
            sheet[y0:y0 + h * upscale, x0 + w * upscale + gap:x0 + cell_w] = draw_keypoints(
                crop, kpts, person.visibility, upscale)
    return sheet


__all__ = ['CENTER_COLOR', 'LEFT_COLOR', 'RIGHT_COLOR', 'contact_sheet', 'draw_keypoints',
           'person_crop', 'render_view']
