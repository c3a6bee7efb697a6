# Copyright (c) hsjp-mmpose contributors.
"""Rendering one synthetic image: cluttered background, people, occluders, visibility.

Every shape is drawn twice: anti-aliased in colour on the image and, with hard edges, into
a ``uint16`` label map that records which part of which person (or which occluder) owns each
pixel. Parts of all people are drawn far to near (painter's order by depth), occluders last,
so the label map is the z-buffer of what the image shows, and keypoint visibility is read
from it: a keypoint is visible when the part on top at its pixel is one of the parts that
hold the keypoint (and, for the face, when that side of the head faces the camera).
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .levels import DataLevel
from .skeleton import (HAIR, HEAD, HEAD_FRONT, HEAD_TOP, L_HAND, L_TOE, NECK,
                                 NUM_KEYPOINTS, PELVIS, R_HAND, R_TOE, Body, Camera,
                                 place_in_camera, sample_body)

_SHIFT = 4  # cv2 fixed-point bits: shapes are drawn with 1/16 pixel precision
_ONE = 1 << _SHIFT
OCCLUDER_LABEL = np.iinfo(np.uint16).max
# Skin tones, hair colours (BGR).
_SKIN = np.array([(196, 222, 250), (160, 195, 235), (125, 165, 210), (95, 130, 180),
                  (70, 100, 145), (50, 70, 105)], dtype=np.float64)
_HAIR = np.array([(20, 20, 25), (30, 45, 75), (40, 80, 140), (140, 175, 205), (80, 80, 85),
                  (35, 35, 110)], dtype=np.float64)
# The minimum cosine between a face point's outward normal and the ray to the camera for
# it to count as facing the camera (nose, eyes, ears).
_FACING = {0: -0.1, 1: 0.15, 2: 0.15, 3: -0.3, 4: -0.3}


def _fixed(points) -> np.ndarray:
    return np.round(np.asarray(points, dtype=np.float64) * _ONE).astype(np.int32)


class _Painter:
    """Draws a shape on the image (colour, anti-aliased), the label map and a person mask."""

    def __init__(self, image: np.ndarray, labels: np.ndarray):
        self.image = image
        self.labels = labels
        self.label = 0
        self.mask: Optional[np.ndarray] = None

    def _targets(self, color):
        yield self.image, tuple(float(c) for c in color), cv2.LINE_AA
        yield self.labels, int(self.label), cv2.LINE_8
        if self.mask is not None:
            yield self.mask, 255, cv2.LINE_8

    def polygon(self, pts: np.ndarray, color) -> None:
        pts = _fixed(pts).reshape(-1, 1, 2)
        for img, col, line in self._targets(color):
            cv2.fillPoly(img, [pts], col, line, _SHIFT)

    def circle(self, center, radius: float, color) -> None:
        c, r = tuple(_fixed(center).tolist()), int(round(max(radius, 0.5) * _ONE))
        for img, col, line in self._targets(color):
            cv2.circle(img, c, r, col, -1, line, _SHIFT)

    def ellipse(self, center, axes, angle: float, color) -> None:
        c = tuple(_fixed(center).tolist())
        ax = tuple(_fixed(np.maximum(axes, 0.5)).tolist())
        for img, col, line in self._targets(color):
            cv2.ellipse(img, c, ax, float(angle), 0., 360., col, -1, line, _SHIFT)

    def segment(self, p1, p2, r1: float, r2: float, color, caps=(True, True)) -> None:
        """A tapered limb: a quadrilateral with round caps and darker long edges."""
        p1, p2 = np.asarray(p1, np.float64), np.asarray(p2, np.float64)
        r1, r2 = max(r1, 0.7), max(r2, 0.7)
        d = p2 - p1
        length = float(np.hypot(*d))
        n = np.array([-d[1], d[0]]) / length if length > 1e-6 else np.zeros(2)
        quad = np.stack([p1 + n * r1, p2 + n * r2, p2 - n * r2, p1 - n * r1])
        self.polygon(quad, color)
        edge = tuple(float(c) * 0.55 for c in color)
        for a, b in ((0, 1), (3, 2)):
            cv2.line(self.image, tuple(_fixed(quad[a]).tolist()), tuple(_fixed(quad[b]).tolist()),
                     edge, 1, cv2.LINE_AA, _SHIFT)
        if caps[0]:
            self.circle(p1, r1, color)
        if caps[1]:
            self.circle(p2, r2, color)

    def mark(self, kind: str, *args, color, thickness: int = -1) -> None:
        """A detail drawn on the image only (stripes, eyes): it lies inside its part."""
        if kind == 'line':
            a, b = (tuple(_fixed(p).tolist()) for p in args)
            cv2.line(self.image, a, b, color, max(int(thickness), 1), cv2.LINE_AA, _SHIFT)
        else:
            center, radius = args
            cv2.circle(self.image, tuple(_fixed(center).tolist()),
                       int(round(max(radius, 0.5) * _ONE)), color, thickness, cv2.LINE_AA,
                       _SHIFT)


@dataclass
class _Part:
    """One body part of one person, ready to draw."""
    depth: float
    person: int
    keypoints: Tuple[int, ...]  # COCO keypoints this part holds
    draw: object  # callable(painter)
    label: int = 0


@dataclass
class RenderedPerson:
    """What the annotation needs about one drawn person."""
    body: Body
    keypoints_2d: np.ndarray  # (17, 2) projection of body.points[:17]
    visibility: np.ndarray = field(default=None)  # (17,) 0/1/2
    bbox: Tuple[float, float, float, float] = (0., 0., 0., 0.)  # xywh of silhouette in image
    area: float = 0.
    hidden: bool = False


def _shade(color: np.ndarray, side: int) -> np.ndarray:
    """Left parts lighter, right parts darker: left and right stay tell-apart-able."""
    if side > 0:
        return color + (255. - color) * 0.35
    if side < 0:
        return color * 0.62
    return color


def _random_color(rng: np.random.Generator, low: int = 30, high: int = 235) -> np.ndarray:
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(40, 256), rng.integers(low, high)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float64)


def _outfit(rng: np.random.Generator) -> dict:
    skin = _SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.9, 1.08)
    shirt = _random_color(rng)
    pants = _random_color(rng, 20, 170)
    return dict(skin=np.clip(skin, 0, 255), hair=_HAIR[rng.integers(len(_HAIR))], shirt=shirt,
                pants=pants, shoes=_random_color(rng, 10, 90),
                sleeve=shirt if rng.random() < 0.6 else skin,
                shin=pants if rng.random() < 0.75 else skin,
                stripes=(_random_color(rng), int(rng.integers(3, 8)))
                if rng.random() < 0.4 else None)


def _person_parts(body: Body, cam: Camera, person: int, rng: np.random.Generator) -> List[_Part]:
    """Split one placed person into drawable parts, each with its depth."""
    pts = body.points
    uv = cam.project(pts)
    z = pts[:, 2]
    px = cam.fx / z  # pixels per millimetre at each point
    rad = body.radii
    out = _outfit(rng)
    parts = []

    def limb(a, b, radii, color, kpts, side):
        col = _shade(color, side)
        r1, r2 = radii[0] * px[a], radii[1] * px[b]
        parts.append(_Part((z[a] + z[b]) / 2, person, kpts,
                           lambda p: p.segment(uv[a], uv[b], r1, r2, col)))

    for side, (sh, el, wr, hand, hip, kn, an, toe) in (
            (1, (5, 7, 9, L_HAND, 11, 13, 15, L_TOE)), (-1, (6, 8, 10, R_HAND, 12, 14, 16, R_TOE))):
        limb(sh, el, rad['upper_arm'], out['shirt'], (sh, el), side)
        limb(el, wr, rad['forearm'], out['sleeve'], (el, wr), side)
        limb(wr, hand, rad['hand'], out['skin'], (wr,), side)
        limb(hip, kn, rad['thigh'], out['pants'], (hip, kn), side)
        limb(kn, an, rad['shin'], out['shin'], (kn, an), side)
        limb(an, toe, rad['foot'], out['shoes'], (an,), side)

    # Torso: the shoulder-hip quadrilateral (widened by the limbs' radii) and a spine
    # segment that gives it thickness when seen from the side.
    def widen(a, b, r):
        d = uv[a] - uv[b]
        d = d / max(np.hypot(*d), 1e-6)
        return uv[a] + d * r
    quad = np.stack([widen(5, 6, rad['upper_arm'][0] * px[5]),
                     widen(6, 5, rad['upper_arm'][0] * px[6]),
                     widen(12, 11, 0.7 * rad['thigh'][0] * px[12]),
                     widen(11, 12, 0.7 * rad['thigh'][0] * px[11])])
    chest = uv[PELVIS] + 0.78 * (uv[NECK] - uv[PELVIS])
    chest_z = z[PELVIS] + 0.78 * (z[NECK] - z[PELVIS])
    r_pel, r_chest = rad['torso_depth'][0] * px[PELVIS], rad['torso_depth'][1] * cam.fx / chest_z
    shirt, stripes = out['shirt'], out['stripes']

    def torso(p):
        p.segment(uv[PELVIS], chest, r_pel, r_chest, shirt, caps=(True, False))
        p.polygon(quad, shirt)
        if stripes is not None:
            color, n = stripes
            width = max(1, int(np.hypot(*(quad[0] - quad[3])) / (3 * n)))
            for t in np.linspace(0.1, 0.9, n):
                p.mark('line', quad[0] + t * (quad[3] - quad[0]), quad[1] + t * (quad[2] - quad[1]),
                       color=tuple(color.tolist()), thickness=width)
    parts.append(_Part(float(z[[5, 6, 11, 12]].mean()), person, (5, 6, 11, 12), torso))

    # Neck (always behind the head) and head with hair, face and ears.
    neck_col = out['skin'] * 0.85
    r_n1, r_n2 = rad['neck'][0] * px[NECK], rad['neck'][1] * px[HEAD]
    parts.append(_Part(max(z[NECK], z[HEAD]) + 1., person, (),
                       lambda p: p.segment(uv[NECK], uv[HEAD], r_n1, r_n2, neck_col)))
    parts.append(_Part(float(z[HEAD]), person, (0, 1, 2, 3, 4),
                       lambda p: _draw_head(p, body, cam, uv, out)))
    return parts


def facing_camera(body: Body) -> np.ndarray:
    """(5,) bool: whether the nose, eyes and ears face the camera (else hidden by the head)."""
    pts = body.points
    normals = pts[:5] - pts[HEAD]
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    rays = -pts[:5] / np.linalg.norm(pts[:5], axis=1, keepdims=True)
    cos = (normals * rays).sum(axis=1)
    return cos > np.array([_FACING[k] for k in range(5)])


def _draw_head(p: _Painter, body: Body, cam: Camera, uv: np.ndarray, out: dict) -> None:
    pts = body.points
    r = body.head_radius
    r_px = cam.fx * r / pts[HEAD, 2]
    up = uv[HEAD_TOP] - uv[HEAD]
    angle = np.degrees(np.arctan2(up[0], -up[1]))
    skin, hair = out['skin'], out['hair']
    p.ellipse(uv[HEAD], (1.05 * r_px, 1.25 * r_px), angle, hair)
    fwd = (pts[HEAD_FRONT] - pts[HEAD]) / r
    upv = (pts[HEAD_TOP] - pts[HEAD]) / (1.2 * r)
    ray = -pts[HEAD] / np.linalg.norm(pts[HEAD])
    facing = float(fwd @ ray)
    if facing > -0.35:  # the face: a disc on the front of the head, foreshortened
        center = cam.project((pts[HEAD] + r * (0.5 * fwd - 0.12 * upv))[None])[0]
        width = 0.8 * r_px * float(np.clip(0.3 + 0.7 * facing, 0.3, 1.0))
        cv2.ellipse(p.image, tuple(_fixed(center).tolist()),
                    tuple(_fixed((width, 0.95 * r_px)).tolist()), float(angle), 0., 360.,
                    tuple(skin.tolist()), -1, cv2.LINE_AA, _SHIFT)
    else:
        p.mark('circle', uv[HAIR], 0.5 * r_px, color=tuple((hair * 0.8).tolist()))
    vis = facing_camera(body)
    dark = tuple((skin * 0.6).tolist())
    for k in (3, 4):
        if vis[k]:
            p.mark('circle', uv[k], 0.2 * r_px, color=tuple(_shade(skin * 0.85, 1 if k == 3 else -1)
                                                            .tolist()))
    for k in (1, 2):
        if vis[k]:
            p.mark('circle', uv[k], max(0.13 * r_px, 1.0), color=(25., 25., 25.))
    if vis[0]:
        p.mark('circle', uv[0], max(0.14 * r_px, 1.0), color=dark)
        mouth = pts[HEAD] + r * (0.85 * fwd - 0.5 * upv)
        if float(((mouth - pts[HEAD]) / r) @ (-mouth / np.linalg.norm(mouth))) > 0.1:
            m = cam.project(mouth[None])[0]
            side = (uv[2] - uv[1]) * 0.25
            p.mark('line', m - side, m + side, color=(60., 60., 150.),
                   thickness=max(1, int(0.08 * r_px)))


# --------------------------------------------------------------------------- background


def _gradient(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    c0, c1 = rng.uniform(0, 255, (2, 3)).astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :] * np.cos(theta)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None] * np.sin(theta)
    t = x + y
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    img = c0 + t[..., None] * (c1 - c0)
    # Low-frequency texture (blotches) on top.
    gh, gw = int(rng.integers(3, 12)), int(rng.integers(3, 12))
    blotch = rng.normal(0, rng.uniform(5, 35), (gh, gw, 3)).astype(np.float32)
    img += cv2.resize(blotch, (w, h), interpolation=cv2.INTER_CUBIC)
    return img


def _random_shape(p: _Painter, rng: np.random.Generator, center, size: float, color,
                  limb_like: bool = True) -> None:
    """A random shape; with ``limb_like`` also bars and tapered limb-like bars."""
    kind = rng.integers(5 if limb_like else 3)
    if kind == 0:  # rotated rectangle
        box = cv2.boxPoints(((float(center[0]), float(center[1])),
                             (size * rng.uniform(0.3, 1.2), size * rng.uniform(0.3, 1.2)),
                             float(rng.uniform(0, 180))))
        p.polygon(box, color)
    elif kind == 1:
        p.ellipse(center, (size * rng.uniform(0.2, 0.6), size * rng.uniform(0.2, 0.6)),
                  rng.uniform(0, 180), color)
    elif kind == 2:  # random polygon
        ang = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 8))))
        rr = size * rng.uniform(0.2, 0.6, ang.size)
        p.polygon(np.stack([center[0] + rr * np.cos(ang), center[1] + rr * np.sin(ang)], 1), color)
    elif kind == 3:  # a bar or pole
        d = rng.uniform(0, 2 * np.pi)
        v = np.array([np.cos(d), np.sin(d)]) * size * 0.7
        r = size * rng.uniform(0.04, 0.15)
        p.segment(np.asarray(center) - v, np.asarray(center) + v, r, r, color,
                  caps=(rng.random() < 0.5,) * 2)
    else:  # a limb-like distractor (tapered, round ends)
        d = rng.uniform(0, 2 * np.pi)
        v = np.array([np.cos(d), np.sin(d)]) * size * 0.5
        p.segment(np.asarray(center) - v, np.asarray(center) + v, size * 0.12, size * 0.08, color)
    if rng.random() < 0.3:  # stripes across it
        col = tuple(_random_color(rng).tolist())
        d = rng.uniform(0, np.pi)
        v = np.array([np.cos(d), np.sin(d)]) * size * 0.4
        n = np.array([-v[1], v[0]])
        for t in np.linspace(-0.8, 0.8, int(rng.integers(2, 6))):
            c = np.asarray(center) + t * n * 0.5
            p.mark('line', c - v * 0.3, c + v * 0.3, color=col, thickness=int(rng.integers(1, 4)))


def _scaled(count: int, clutter: float) -> int:
    """``count`` scaled by the clutter level (the draw itself is unchanged)."""
    return count if clutter == 1. else int(round(count * clutter))


def _clutter(p: _Painter, rng: np.random.Generator, w: int, h: int, level: DataLevel) -> None:
    for _ in range(_scaled(int(rng.integers(3, 14)), level.clutter)):
        _random_shape(p, rng, rng.uniform((0, 0), (w, h)), rng.uniform(0.05, 0.5) * min(w, h),
                      _random_color(rng, 10, 250), level.limb_distractors)
    for _ in range(_scaled(int(rng.integers(2, 14)), level.clutter)):
        a, b = rng.uniform((-20, -20), (w + 20, h + 20), (2, 2))
        p.mark('line', a, b, color=tuple(_random_color(rng, 10, 250).tolist()),
               thickness=int(rng.integers(1, 6)))


# --------------------------------------------------------------------------- the image


def _place_people(rng: np.random.Generator, cam: Camera, w: int, h: int,
                  level: DataLevel) -> List[Body]:
    n = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))
    bodies = []
    for i in range(min(n, level.max_people)):
        for _attempt in range(10):
            body = sample_body(rng)
            height = h * (rng.uniform(*level.height_range) if i == 0
                          else rng.uniform(0.3, 0.85))
            low, high = 0.35, 0.65
            if level.truncation_prob == 0:  # keep the person's height inside the image
                half = height / (2 * h) + 0.01
                low, high = max(low, half), max(min(high, 1 - half), max(low, half))
            center = [rng.uniform(0.15, 0.85) * w, rng.uniform(low, high) * h]
            if rng.random() < level.truncation_prob:  # truncated by the image border
                axis = int(rng.integers(2))
                inward = rng.uniform(-0.05, 0.15)
                center[axis] = (inward if rng.random() < 0.5 else 1. - inward) * (w, h)[axis]
            yaw = np.deg2rad(rng.uniform(-level.max_yaw, level.max_yaw))
            placed = place_in_camera(body, cam, yaw, center, height)
            uv = cam.project(placed.points[:NUM_KEYPOINTS])
            inside = (uv[:, 0] >= 0) & (uv[:, 0] <= w - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= h - 1)
            # Without truncation every keypoint must be in the image (else try again).
            if inside.sum() >= 3 and (level.truncation_prob > 0 or inside.all()):
                bodies.append(placed)
                break
    return bodies


def _bbox_from_mask(mask: np.ndarray) -> Tuple[Tuple[float, float, float, float], float]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return (0., 0., 0., 0.), 0.
    x0, x1, y0, y1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0)), float(np.count_nonzero(mask))


def render_image(rng: np.random.Generator, cam: Camera, image_size: Tuple[int, int],
                 level: DataLevel = DataLevel()) -> Tuple[np.ndarray, List[RenderedPerson]]:
    """Render one image (BGR uint8, shape (h, w, 3)) and annotate the people in it.

    Args:
        rng: the image's random generator (all randomness comes from it).
        cam: the image's camera.
        image_size: (w, h).
        level: the difficulty factors (people, clutter, occluders, scale, yaw; see
            :mod:`.levels`).
    """
    image, people, _, _ = render_layers(rng, cam, image_size, level)
    return image, people


def render_layers(rng: np.random.Generator, cam: Camera, image_size: Tuple[int, int],
                  level: DataLevel = DataLevel()
                  ) -> Tuple[np.ndarray, List[RenderedPerson], np.ndarray, List[_Part]]:
    """:func:`render_image` that also returns the label map ((h, w) uint16: 0 background,
    ``part.label`` for a body part, :data:`OCCLUDER_LABEL` for occluders) and the parts."""
    w, h = image_size
    image = np.empty((h, w, 3), np.uint8)
    image[:] = np.clip(_gradient(rng, w, h), 0, 255)
    labels = np.zeros((h, w), np.uint16)
    painter = _Painter(image, labels)
    _clutter(painter, rng, w, h, level)
    labels[:] = 0  # the background, clutter included, owns nothing

    bodies = _place_people(rng, cam, w, h, level)
    people = [RenderedPerson(b, cam.project(b.points[:NUM_KEYPOINTS])) for b in bodies]
    parts: List[_Part] = []
    for i, body in enumerate(bodies):
        parts += _person_parts(body, cam, i, rng)
    order = np.argsort(-np.array([pt.depth for pt in parts]), kind='stable')
    masks = [np.zeros((h, w), np.uint8) for _ in bodies]
    for label, idx in enumerate(order, start=1):
        part = parts[idx]
        part.label = label
        painter.label, painter.mask = label, masks[part.person]
        part.draw(painter)
    for person, mask in zip(people, masks):
        person.bbox, person.area = _bbox_from_mask(mask)

    # Occluders: some cover a person completely, others parts of people or nothing.
    painter.label, painter.mask = OCCLUDER_LABEL, None
    for person in people:
        if rng.random() < level.hide_prob and person.area > 0:
            x, y, bw, bh = person.bbox
            m = rng.uniform(2, 8, 4)
            color = _random_color(rng, 20, 240)
            if rng.random() < 0.5:
                painter.polygon(np.array([[x - m[0], y - m[1]], [x + bw + m[2], y - m[1]],
                                          [x + bw + m[2], y + bh + m[3]],
                                          [x - m[0], y + bh + m[3]]]), color)
            else:  # an ellipse around the box
                painter.ellipse((x + bw / 2, y + bh / 2),
                                (bw / np.sqrt(2) + m[0], bh / np.sqrt(2) + m[1]), 0., color)
    for _ in range(_scaled(int(rng.choice(4, p=[0.35, 0.35, 0.2, 0.1])), level.occluders)):
        if people and rng.random() < 0.7:
            x, y, bw, bh = people[int(rng.integers(len(people)))].bbox
            center = (x + rng.uniform(0, 1) * bw, y + rng.uniform(0, 1) * bh)
            size = rng.uniform(0.2, 0.6) * max(min(bw, bh), 8.)
        else:
            center, size = rng.uniform((0, 0), (w, h)), rng.uniform(0.1, 0.4) * min(w, h)
        _random_shape(painter, rng, center, size, _random_color(rng, 10, 250),
                      level.limb_distractors)

    annotate_visibility(people, parts, labels)
    _finish(image, rng)
    return image, people, labels, parts


def annotate_visibility(people: List[RenderedPerson], parts: List[_Part],
                        labels: np.ndarray) -> None:
    """Set each person's COCO visibility, ``hidden`` flag from the label map.

    v = 0 outside the image (or the whole person is hidden: no pixel of it shows), 1 inside
    but the part on top at the keypoint's pixel does not hold the keypoint (an occluder,
    another person, or the person's own nearer part; a face point turned away from the
    camera), 2 visible.
    """
    h, w = labels.shape
    n = len(parts)
    owner = np.full(n + 1, -1)
    holds = np.zeros((n + 1, NUM_KEYPOINTS), bool)
    for part in parts:
        owner[part.label] = part.person
        holds[part.label, list(part.keypoints)] = True
    counts = np.bincount(labels.ravel(), minlength=int(OCCLUDER_LABEL) + 1)[:n + 1]
    for i, person in enumerate(people):
        uv = person.keypoints_2d
        inside = (uv[:, 0] >= 0) & (uv[:, 0] <= w - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= h - 1)
        vis = inside.astype(np.int64)
        xi = np.clip(np.round(uv[:, 0]).astype(int), 0, w - 1)
        yi = np.clip(np.round(uv[:, 1]).astype(int), 0, h - 1)
        top = labels[yi, xi].astype(np.int64)
        own = (top <= n) & (owner[np.minimum(top, n)] == i)
        on_top = own & holds[np.minimum(top, n), np.arange(NUM_KEYPOINTS)]
        on_top[:5] &= facing_camera(person.body)
        vis[inside & on_top] = 2
        person.hidden = counts[1:][owner[1:] == i].sum() == 0
        if person.hidden:
            vis[:] = 0
        person.visibility = vis


def _finish(image: np.ndarray, rng: np.random.Generator) -> None:
    """Camera effects in place: exposure, sensor noise, sometimes blur."""
    h, w = image.shape[:2]
    gain, bias = rng.uniform(0.8, 1.2), rng.uniform(-20, 20)
    noise = rng.normal(0, rng.uniform(2, 8), (h, w, 1)).astype(np.float32)
    out = image.astype(np.float32) * gain + bias + noise
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (3, 3), 0)
    np.clip(out, 0, 255, out=out)
    image[:] = out.astype(np.uint8)
