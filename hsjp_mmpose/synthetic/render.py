# Copyright (c) hsjp-mmpose contributors.
"""Rendering one synthetic image: cluttered background, people, occluders, visibility.

Every shape is drawn twice: anti-aliased in colour on the image and, with hard edges, into
a ``uint16`` label map that records which part of which person (or which occluder) owns each
pixel. Parts of all people are drawn far to near (painter's order by depth), occluders last,
so the label map is the z-buffer of what the image shows, and keypoint visibility is read
from it: a keypoint is visible when the part on top at its pixel is one of the parts that
hold the keypoint; face points on the far side of the head are not labelled.

People carry the cues that tell their front from their back in photos, and so their left
from their right however they are turned (each a factor of :class:`~.levels.DataLevel`):
a face on the front of the head (a profile from the side), hair over the back of the head
(long hair or a hood down the back), a neckline, collar and chest print or open jacket on
the front of the shirt, knees and elbows that bend one way, feet that point forward. Colours
per side of the body (``side_shading``) are a shortcut no photo has: off unless asked for.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .levels import DataLevel
from .skeleton import (HEAD, HEAD_FRONT, HEAD_TOP, L_HAND, L_TOE, NECK, NUM_KEYPOINTS, PELVIS,
                       R_HAND, R_TOE, Body, Camera, place_in_camera, sample_body)

_SHIFT = 4  # cv2 fixed-point bits: shapes are drawn with 1/16 pixel precision
_ONE = 1 << _SHIFT
OCCLUDER_LABEL = np.iinfo(np.uint16).max
# Skin tones, hair colours (BGR).
_SKIN = np.array([(196, 222, 250), (160, 195, 235), (125, 165, 210), (95, 130, 180),
                  (70, 100, 145), (50, 70, 105)], dtype=np.float64)
_HAIR = np.array([(20, 20, 25), (30, 45, 75), (40, 80, 140), (140, 175, 205), (80, 80, 85),
                  (35, 35, 110)], dtype=np.float64)
#: Hair styles: short (over the skull), long (hangs down the back), a hood.
HAIR_STYLES = ('short', 'long', 'hood')
_HAIR_STYLE_PROBS = (0.55, 0.3, 0.15)
#: What the front of a shirt shows besides the neckline.
FRONT_DETAILS = ('plain', 'print', 'jacket')
_FRONT_DETAIL_PROBS = (0.3, 0.4, 0.3)
#: Least luminance difference (0-255) between hair (or a hood) and skin.
MIN_CONTRAST = 60.
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

    def inside_part(self, steps, points: np.ndarray, margin: float) -> None:
        """Run drawing steps (callables of a painter) on the image only, keeping what they
        draw inside the pixels the current part owns so far (a print on a shirt).
        ``points`` ((N, 2)) and ``margin`` bound what the steps draw."""
        h, w = self.labels.shape
        x0, y0 = np.floor(points.min(axis=0) - margin - 2).astype(int)
        x1, y1 = np.ceil(points.max(axis=0) + margin + 3).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x0 >= x1 or y0 >= y1:
            return
        region = (slice(y0, y1), slice(x0, x1))
        outside = self.labels[region] != self.label
        before = self.image[region].copy()
        scratch = _Painter(self.image, np.zeros_like(self.labels))
        for step in steps:
            step(scratch)
        self.image[region][outside] = before[outside]

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
    name: str = ''


@dataclass
class RenderedPerson:
    """What the annotation needs about one drawn person."""
    body: Body
    keypoints_2d: np.ndarray  # (17, 2) projection of body.points[:17]
    visibility: np.ndarray = field(default=None)  # (17,) 0/1/2
    bbox: Tuple[float, float, float, float] = (0., 0., 0., 0.)  # xywh of silhouette in image
    area: float = 0.
    hidden: bool = False
    outfit: dict = field(default_factory=dict)  # the colours it was drawn with


def _shade(color: np.ndarray, side: int) -> np.ndarray:
    """``DataLevel.side_shading``: left parts lighter, right parts darker (a shortcut cue)."""
    if side > 0:
        return color + (255. - color) * 0.35
    if side < 0:
        return color * 0.62
    return color


def _random_color(rng: np.random.Generator, low: int = 30, high: int = 235) -> np.ndarray:
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(40, 256), rng.integers(low, high)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float64)


def luma(color) -> float:
    """Luminance (0-255, ITU-R BT.601) of a BGR colour."""
    b, g, r = (float(c) for c in color)
    return 0.114 * b + 0.587 * g + 0.299 * r


def _contrasting(color: np.ndarray, against: np.ndarray, min_diff: float = MIN_CONTRAST
                 ) -> np.ndarray:
    """``color``, darkened or lightened until its luminance differs from ``against``'s by
    at least ``min_diff`` (it keeps its hue; unchanged when it already does)."""
    own, other = luma(color), luma(against)
    if abs(own - other) >= min_diff:
        return color
    darker = other - min_diff
    if darker >= 0 and (own <= other or other + min_diff > 255):
        return color * (darker / max(own, 1.))
    t = (other + min_diff - own) / max(255. - own, 1.)
    return color + (255. - color) * min(t, 1.)


def _outfit(rng: np.random.Generator) -> dict:
    """Colours and garment details of one person. Every draw is made whatever the level's
    cues, so switching a cue off changes nothing else about the person."""
    skin = np.clip(_SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.9, 1.08), 0, 255)
    shirt = _random_color(rng)
    pants = _random_color(rng, 20, 170)
    out = dict(skin=skin, shirt=shirt, pants=pants, shoes=_random_color(rng, 10, 90),
               sleeve=shirt if rng.random() < 0.6 else skin,
               shin=pants if rng.random() < 0.75 else skin,
               stripes=(_random_color(rng), int(rng.integers(3, 8)))
               if rng.random() < 0.4 else None)
    light_skin = luma(skin) > 110
    out.update(
        hair=_contrasting(_HAIR[rng.integers(len(_HAIR))], skin),
        hair_style=HAIR_STYLES[rng.choice(len(HAIR_STYLES), p=_HAIR_STYLE_PROBS)],
        hood=_contrasting(_random_color(rng), skin),
        eyes=_contrasting(np.array((35., 30., 30.) if light_skin else (225., 230., 235.)),
                          skin),
        mouth=_contrasting(np.array((70., 60., 165.) if light_skin else (150., 150., 215.)),
                           skin, 35.),
        neckline='v' if rng.random() < 0.4 else 'round',
        collar=_contrasting(_random_color(rng), shirt) if rng.random() < 0.5 else None,
        front=FRONT_DETAILS[rng.choice(len(FRONT_DETAILS), p=_FRONT_DETAIL_PROBS)],
        front_color=_contrasting(_random_color(rng), shirt, 70.),
        print_shape=int(rng.integers(3)))
    return out


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The cross product of two 3-vectors (np.cross is slow on single vectors)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _torso_frame(pts: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chest's (left, up, forward) unit vectors, from the shoulders and the spine."""
    left = _unit(pts[5] - pts[6])
    fwd = _unit(_cross(left, pts[NECK] - pts[PELVIS]))
    return left, _cross(fwd, left), fwd


def _head_frame(body: Body) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The head's (left, up, forward) unit vectors."""
    pts, r = body.points, body.head_radius
    fwd = (pts[HEAD_FRONT] - pts[HEAD]) / r
    up = (pts[HEAD_TOP] - pts[HEAD]) / (1.2 * r)
    return _cross(up, fwd), up, fwd


def _faces_camera(point: np.ndarray, normal: np.ndarray) -> float:
    """Cosine between a surface normal and the ray from the surface point to the camera."""
    return float(normal @ -_unit(point))


def _person_parts(body: Body, cam: Camera, person: int, rng: np.random.Generator,
                  level: DataLevel = DataLevel()) -> Tuple[List[_Part], dict]:
    """Split one placed person into drawable parts, each with its depth; also returns the
    person's outfit."""
    pts = body.points
    uv = cam.project(pts)
    z = pts[:, 2]
    px = cam.fx / z  # pixels per millimetre at each point
    rad = body.radii
    out = _outfit(rng)
    parts = []

    def limb(a, b, radii, color, kpts, side, name):
        col = _shade(color, side) if level.side_shading else color
        r1, r2 = radii[0] * px[a], radii[1] * px[b]
        parts.append(_Part((z[a] + z[b]) / 2, person, kpts,
                           lambda p: p.segment(uv[a], uv[b], r1, r2, col), name=name))

    for side, s, (sh, el, wr, hand, hip, kn, an, toe) in (
            (1, 'left', (5, 7, 9, L_HAND, 11, 13, 15, L_TOE)),
            (-1, 'right', (6, 8, 10, R_HAND, 12, 14, 16, R_TOE))):
        limb(sh, el, rad['upper_arm'], out['shirt'], (sh, el), side, f'{s}_upper_arm')
        limb(el, wr, rad['forearm'], out['sleeve'], (el, wr), side, f'{s}_forearm')
        limb(wr, hand, rad['hand'], out['skin'], (wr,), side, f'{s}_hand')
        limb(hip, kn, rad['thigh'], out['pants'], (hip, kn), side, f'{s}_thigh')
        limb(kn, an, rad['shin'], out['shin'], (kn, an), side, f'{s}_shin')
        limb(an, toe, rad['foot'], out['shoes'], (an,), side, f'{s}_foot')

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
    front = _garment_front(body, cam, out, rad['torso_depth'][1]) if level.garment_front \
        else None

    def torso(p):
        p.segment(uv[PELVIS], chest, r_pel, r_chest, shirt, caps=(True, False))
        p.polygon(quad, shirt)
        if stripes is not None:
            color, n = stripes
            width = max(1, int(np.hypot(*(quad[0] - quad[3])) / (3 * n)))
            for t in np.linspace(0.1, 0.9, n):
                p.mark('line', quad[0] + t * (quad[3] - quad[0]), quad[1] + t * (quad[2] - quad[1]),
                       color=tuple(color.tolist()), thickness=width)
        if front:
            p.inside_part(front[0], front[1], front[2])
    parts.append(_Part(float(z[[5, 6, 11, 12]].mean()), person, (5, 6, 11, 12), torso,
                       name='torso'))

    # Neck (always behind the head), hair hanging down the back, head with hair and face.
    neck_col = out['skin'] * 0.85
    r_n1, r_n2 = rad['neck'][0] * px[NECK], rad['neck'][1] * px[HEAD]
    parts.append(_Part(max(z[NECK], z[HEAD]) + 1., person, (),
                       lambda p: p.segment(uv[NECK], uv[HEAD], r_n1, r_n2, neck_col),
                       name='neck'))
    style = out['hair_style'] if level.hair else 'short'
    if style != 'short':
        parts.append(_back_hair(body, cam, out, person, style))
    # Under a hood the ears are covered: the head part does not hold them, so they are
    # labelled occluded (v=1) where the head is on top.
    head_kpts = (0, 1, 2) if style == 'hood' else (0, 1, 2, 3, 4)
    parts.append(_Part(float(z[HEAD]), person, head_kpts,
                       lambda p: _draw_head(p, body, cam, uv, out, level), name='head'))
    return parts, out


def _garment_front(body: Body, cam: Camera, out: dict, depth: float) -> Optional[tuple]:
    """Drawing steps of the shirt's front: a neckline (skin) with an optional collar, and a
    chest print or an open-jacket strip; returns (steps, the (N, 2) image points they
    span, the widest line's half-width), or None when the chest faces away."""
    pts = body.points
    left, up, fwd = _torso_frame(pts)
    neck = pts[NECK]
    if _faces_camera(neck - 100. * up + depth * fwd, fwd) < 0.05:
        return None
    sw = 0.5 * float(np.linalg.norm(pts[5] - pts[6]))  # half the shoulder width, ~175 mm
    drop = 0.75 * sw if out['neckline'] == 'v' else 0.42 * sw
    t = np.linspace(0., 1., 7)[:, None]
    if out['neckline'] == 'v':  # straight sides to the point of the V
        lateral, down = (1. - t) * 0.42 * sw, t * drop
    else:  # a round (U) neck
        lateral, down = np.cos(t * np.pi / 2) * 0.42 * sw, np.sin(t * np.pi / 2) * drop
    depth_at = 0.45 * depth + 0.5 * depth * (down / drop)  # the chest curves forward
    side = np.concatenate([lateral, -lateral[::-1][1:]])
    down = np.concatenate([down, down[::-1][1:]])
    depth_at = np.concatenate([depth_at, depth_at[::-1][1:]])
    edge = neck + side * left - down * up + depth_at * fwd
    edge_uv = cam.project(edge)
    throat_uv = cam.project((neck + 0.05 * sw * up + 0.3 * depth * fwd)[None])
    skin = tuple(out['skin'].tolist())
    px = cam.fx / float(neck[2])
    steps = [lambda p: p.polygon(np.concatenate([edge_uv, throat_uv]), skin)]
    spans, width = [edge_uv, throat_uv], 1
    if out['collar'] is not None:
        col, width = tuple(out['collar'].tolist()), max(1, int(round(0.13 * sw * px)))
        steps.append(lambda p: cv2.polylines(
            p.image, [_fixed(edge_uv).reshape(-1, 1, 2)], False, col, width, cv2.LINE_AA,
            _SHIFT))
    color = tuple(out['front_color'].tolist())
    if out['front'] == 'print':  # a logo on the chest: disc, square or triangle
        center = neck - 1.05 * sw * up + 1.0 * depth * fwd
        n = (16, 4, 3)[out['print_shape']]
        a = np.linspace(0, 2 * np.pi, n, endpoint=False)[:, None] + (np.pi / 4 if n == 4 else
                                                                     np.pi / 2)
        size = 0.38 * sw * (1.25 if n == 3 else 1.)
        shape = cam.project(center + size * (np.cos(a) * left + np.sin(a) * up))
        steps.append(lambda p: p.polygon(shape, color))
        spans.append(shape)
    elif out['front'] == 'jacket':  # an open jacket: the shirt shows in a strip down the front
        bottom = pts[PELVIS] + 0.15 * sw * up + 0.9 * depth * fwd
        top = neck - drop * up + depth * fwd
        strip = np.stack([top + 0.22 * sw * left, bottom + 0.22 * sw * left,
                          bottom - 0.22 * sw * left, top - 0.22 * sw * left])
        strip_uv = cam.project(strip)
        steps.append(lambda p: p.polygon(strip_uv, color))
        spans.append(strip_uv)
    return steps, np.concatenate(spans), width / 2.


def _back_hair(body: Body, cam: Camera, out: dict, person: int, style: str) -> _Part:
    """Long hair or a hood's drape hanging from the back of the head to the upper back."""
    pts, r = body.points, body.head_radius
    _, up_h, fwd_h = _head_frame(body)
    _, up_t, fwd_t = _torso_frame(pts)
    top = pts[HEAD] + r * (0.25 * up_h - 0.55 * fwd_h)
    if style == 'hood':
        bottom = pts[NECK] - 0.35 * r * up_t - 1.1 * r * fwd_t
        radii, color = (1.1 * r, 0.95 * r), tuple(out['hood'].tolist())
    else:
        bottom = pts[NECK] - 0.9 * r * up_t - 0.9 * r * fwd_t
        radii, color = (0.95 * r, 0.7 * r), tuple(out['hair'].tolist())
    (a, b), za = cam.project(np.stack([top, bottom])), float(top[2])
    r1, r2 = cam.fx * radii[0] / za, cam.fx * radii[1] / float(bottom[2])
    return _Part((za + float(bottom[2])) / 2, person, (),
                 lambda p: p.segment(a, b, r1, r2, color), name='back_hair')


def facing_camera(body: Body) -> np.ndarray:
    """(5,) bool: whether the nose, eyes and ears face the camera (else hidden by the head)."""
    pts = body.points
    normals = pts[:5] - pts[HEAD]
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    rays = -pts[:5] / np.linalg.norm(pts[:5], axis=1, keepdims=True)
    cos = (normals * rays).sum(axis=1)
    return cos > np.array([_FACING[k] for k in range(5)])


def _face_cap_limit(up_part: np.ndarray) -> np.ndarray:
    """The face's edge on the head, as the angle (radians) from the forward axis, for a
    direction whose component along ``up`` (in the plane across the face) is ``up_part``
    in [-1, 1]: 70 degrees at the cheeks, 42 at the hairline, 80 under the chin."""
    return np.deg2rad(70. - np.where(up_part > 0, 28., 10.) * up_part)


def _paint_face(image: np.ndarray, center: np.ndarray, r_px: float, angle: float,
                view: np.ndarray, frame: Tuple[np.ndarray, np.ndarray, np.ndarray],
                color, labels: Optional[np.ndarray] = None, label: int = 0) -> None:
    """Paint the face, the part of the head ellipse (``r_px`` wide, 1.2 ``r_px`` tall,
    turned by ``angle`` degrees) whose surface lies within :func:`_face_cap_limit` of the
    head's forward axis, in place and anti-aliased. Per pixel: each pixel is lifted onto
    the head (a unit sphere in the ellipse's coordinates, seen along ``view``, the unit
    vector from the head to the camera), so a turned head shows its face in profile up to
    the outline and a head seen from behind shows none. With a label map, the paint stays
    inside the pixels of ``label`` (the head's drawn silhouette)."""
    h, w = image.shape[:2]
    reach = 1.2 * r_px + 1.
    x0, x1 = max(int(center[0] - reach), 0), min(int(center[0] + reach) + 2, w)
    y0, y1 = max(int(center[1] - reach), 0), min(int(center[1] + reach) + 2, h)
    if x0 >= x1 or y0 >= y1:
        return
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    gx, gy = np.meshgrid(np.arange(x0, x1) - center[0], np.arange(y0, y1) - center[1])
    a = (gx * c + gy * s) / r_px
    b = (-gx * s + gy * c) / (1.2 * r_px)
    rho = np.sqrt(a * a + b * b)
    inside = np.clip((1. - rho) * r_px + 0.5, 0., 1.)  # anti-aliased outline
    if not inside.any():
        return
    e1 = np.array([c, s, 0.])
    e1 = _unit(e1 - (e1 @ view) * view)
    e2 = _cross(e1, view)
    depth = np.sqrt(np.clip(1. - rho * rho, 0., 1.))
    n = a[..., None] * e1 + b[..., None] * e2 + depth[..., None] * view
    left, up, fwd = frame
    side = np.stack([n @ left, n @ up], axis=-1)
    up_part = side[..., 1] / np.maximum(np.linalg.norm(side, axis=-1), 1e-9)
    off = np.arccos(np.clip(n @ fwd, -1., 1.))
    in_cap = np.clip((_face_cap_limit(up_part) - off) * r_px + 0.5, 0., 1.)
    alpha = inside * in_cap
    if labels is not None:
        alpha = alpha * (labels[y0:y1, x0:x1] == label)
    alpha = alpha[..., None]
    if not alpha.any():
        return
    region = image[y0:y1, x0:x1].astype(np.float32)
    region += alpha * (np.asarray(color, np.float32) - region)
    image[y0:y1, x0:x1] = np.round(region).astype(np.uint8)


def _draw_head(p: _Painter, body: Body, cam: Camera, uv: np.ndarray, out: dict,
               level: DataLevel = DataLevel()) -> None:
    """The head: hair (or a hood, or bare skin), the face on its front (a profile from the
    side), ears, eyes, nose and mouth. Face features are at least 2 px wide in a 128x96
    crop of a whole person (eyes: 0.44 of the head's half-width across)."""
    pts = body.points
    r = body.head_radius
    r_px = cam.fx * r / pts[HEAD, 2]
    up_img = uv[HEAD_TOP] - uv[HEAD]
    angle = float(np.degrees(np.arctan2(up_img[0], -up_img[1])))
    skin, hair = out['skin'], out['hair']
    left, up, fwd = _head_frame(body)
    style = out['hair_style'] if level.hair else 'short'
    if style == 'hood':
        p.ellipse(uv[HEAD], (1.3 * r_px, 1.42 * r_px), angle, tuple(out['hood'].tolist()))
    elif level.hair:  # hair volume over the skull, a little towards the back and top
        center = cam.project((pts[HEAD] + r * (0.06 * up - 0.06 * fwd))[None])[0]
        p.ellipse(center, (1.07 * r_px, 1.27 * r_px), angle, tuple(hair.tolist()))
    if style == 'hood' or not level.hair:  # the bare skull (under a hood: the face's frame)
        p.ellipse(uv[HEAD], (1.0 * r_px, 1.2 * r_px), angle, tuple(skin.tolist()))
    vis = facing_camera(body)
    for k in (3, 4):  # ears, seen from the front, the side and behind
        if vis[k] and style != 'hood':
            col = _shade(skin * 0.85, 1 if k == 3 else -1) if level.side_shading else skin * 0.85
            p.circle(uv[k], 0.2 * r_px, tuple(col.tolist()))
    if not level.face:
        return
    _paint_face(p.image, uv[HEAD], r_px, angle, -_unit(pts[HEAD]), (left, up, fwd), skin,
                p.labels, p.label)
    shade = tuple((skin * 0.8).tolist())
    if vis[0]:  # the nose: a shaded wedge that sticks out in profile
        nose = pts[HEAD] + r * np.stack([0.18 * up + 0.88 * fwd, -0.12 * up + 1.15 * fwd,
                                         -0.3 * up + 0.9 * fwd])
        p.polygon(cam.project(nose), shade)
    eye_r = max(0.22 * r_px, 1.)
    for k in (1, 2):
        if vis[k]:
            p.mark('circle', uv[k], eye_r, color=tuple(out['eyes'].tolist()))
    mouth = pts[HEAD] + r * (0.85 * fwd - 0.55 * up)
    if vis[0] and _faces_camera(mouth, _unit(mouth - pts[HEAD])) > 0.1:
        ends = cam.project(np.stack([mouth + 0.3 * r * left, mouth - 0.3 * r * left]))
        p.mark('line', ends[0], ends[1], color=tuple(out['mouth'].tolist()),
               thickness=max(1, int(round(0.18 * r_px))))


# --------------------------------------------------------------------------- background


def _gradient(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    c0, c1 = rng.uniform(0, 255, (2, 3)).astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :] * np.cos(theta)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None] * np.sin(theta)
    t = x + y
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    # Low-frequency texture (blotches) on top.
    gh, gw = int(rng.integers(3, 12)), int(rng.integers(3, 12))
    blotch = rng.normal(0, rng.uniform(5, 35), (gh, gw, 3)).astype(np.float32)
    blotch += c0
    img = cv2.resize(blotch, (w, h), interpolation=cv2.INTER_CUBIC)
    img += t[..., None] * (c1 - c0)
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


def _sample_yaw(rng: np.random.Generator, level: DataLevel) -> float:
    """A person's turn away from the camera in degrees: uniform in +-``max_yaw`` up to 90
    degrees; beyond, seen from behind with probability ``back_share`` (uniform in the back
    half), else uniform in the front half."""
    if level.max_yaw <= 90:
        return float(rng.uniform(-level.max_yaw, level.max_yaw))
    low, high = (90., level.max_yaw) if rng.random() < level.back_share else (0., 90.)
    return float(rng.uniform(low, high) * (1. if rng.random() < 0.5 else -1.))


def _place_people(rng: np.random.Generator, cam: Camera, w: int, h: int,
                  level: DataLevel, yaw: Optional[float] = None) -> List[Body]:
    n = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))
    bodies = []
    for i in range(min(n, level.max_people)):
        for _attempt in range(10):
            body = sample_body(rng, head_scale=level.head_scale)
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
            turn = np.deg2rad(_sample_yaw(rng, level))
            if yaw is not None and i == 0:
                turn = np.deg2rad(yaw)
            placed = place_in_camera(body, cam, turn, center, height)
            uv = cam.project(placed.points[:NUM_KEYPOINTS])
            inside = (uv[:, 0] >= 0) & (uv[:, 0] <= w - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= h - 1)
            # Without truncation every keypoint must be in the image (else try again);
            # a person with a given yaw is the first one drawn, at every yaw the same.
            fixed = yaw is not None and i == 0
            if inside.sum() >= 3 and (level.truncation_prob > 0 or inside.all() or fixed):
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
                 level: DataLevel = DataLevel(), yaw: Optional[float] = None
                 ) -> Tuple[np.ndarray, List[RenderedPerson]]:
    """Render one image (BGR uint8, shape (h, w, 3)) and annotate the people in it.

    Args:
        rng: the image's random generator (all randomness comes from it).
        cam: the image's camera.
        image_size: (w, h).
        level: the difficulty factors and cues (people, clutter, occluders, scale, yaw,
            face, hair, garment; see :mod:`.levels`).
        yaw: if given, the first person's turn away from the camera in degrees (0: facing
            it, 180: seen from behind; positive turns the person to their left) instead of
            a random one; everything else is drawn as without it (for previews and tests).
    """
    image, people, _, _ = render_layers(rng, cam, image_size, level, yaw)
    return image, people


def render_layers(rng: np.random.Generator, cam: Camera, image_size: Tuple[int, int],
                  level: DataLevel = DataLevel(), yaw: Optional[float] = None
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

    bodies = _place_people(rng, cam, w, h, level, yaw)
    people = [RenderedPerson(b, cam.project(b.points[:NUM_KEYPOINTS])) for b in bodies]
    parts: List[_Part] = []
    for i, body in enumerate(bodies):
        person_parts, people[i].outfit = _person_parts(body, cam, i, rng, level)
        parts += person_parts
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

    v = 0 outside the image, on the far side of the head (the eyes and nose of a person
    seen from behind, the far eye and ear of a profile: COCO leaves such points unlabelled),
    or the whole person is hidden (no pixel of it shows); 1 inside but the part on top at
    the keypoint's pixel does not hold the keypoint (an occluder, another person, the
    person's own nearer part, a hood over the ears); 2 visible.
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
        vis[inside & on_top] = 2
        vis[:5][~facing_camera(person.body)] = 0  # the far side of the head: not labelled
        person.hidden = counts[1:][owner[1:] == i].sum() == 0
        if person.hidden:
            vis[:] = 0
        person.visibility = vis


def _finish(image: np.ndarray, rng: np.random.Generator) -> None:
    """Camera effects in place: exposure, sensor noise, sometimes blur."""
    h, w = image.shape[:2]
    gain, bias = rng.uniform(0.8, 1.2), rng.uniform(-20, 20)
    sigma = rng.uniform(2, 8)
    noise = rng.standard_normal((h, w, 1), dtype=np.float32)
    noise *= np.float32(sigma)
    noise += np.float32(bias)
    out = image.astype(np.float32)
    out *= np.float32(gain)
    out += noise
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (3, 3), 0)
    np.clip(out, 0, 255, out=out)
    image[:] = out.astype(np.uint8)
