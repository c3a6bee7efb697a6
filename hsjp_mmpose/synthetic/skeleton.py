# Copyright (c) hsjp-mmpose contributors.
"""Procedurally posed 3D skeletons and pinhole cameras for the synthetic-people generator.

A body is built in its own frame (millimetres; X = the person's left, Y = up, Z = the
direction the person faces; a right-handed frame) from bone lengths and joint angles kept
inside anatomical limits: knees and elbows bend one way only, hips, shoulders, spine and
neck move within sensible ranges. It is then turned by a random yaw, tilted by the camera's
pitch and roll and placed in front of a pinhole camera (OpenCV frame: x right, y down,
z forward). Every step is a proper rigid motion, so the person's left stays their left.

Point layout of :attr:`Body.points` (shape (NUM_POINTS, 3)): the 17 COCO keypoints in COCO
order, then the extra points the renderer needs (:data:`PELVIS` ... :data:`HAIR`).
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np

COCO_KEYPOINT_NAMES = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
                       'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
                       'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
                       'right_knee', 'left_ankle', 'right_ankle')
# COCO's person skeleton, 1-based as in the official annotation files.
COCO_SKELETON = ((16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7),
                 (6, 8), (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5),
                 (4, 6), (5, 7))
NUM_KEYPOINTS = 17

# Extra points (indices into Body.points after the COCO keypoints).
PELVIS, NECK, HEAD, L_HAND, R_HAND, L_TOE, R_TOE, HEAD_TOP, HEAD_FRONT, HAIR = range(17, 27)
NUM_POINTS = 27

POSE_KINDS = ('standing', 'walking', 'sitting', 'arms_raised', 'free')
_POSE_KIND_PROBS = (0.25, 0.25, 0.15, 0.15, 0.2)

# Reference bone lengths and half-widths (mm) of a 1.70 m adult.
_BONES = dict(hip_half=95., torso=500., shoulder_half=175., shoulder_drop=25., neck=95.,
              head_radius=88., upper_arm=295., forearm=255., hand=75., thigh=430.,
              shin=420., ankle_height=70., foot=170.)
# Part radii (mm) at the proximal and distal end; used by the renderer.
PART_RADII = dict(upper_arm=(52., 42.), forearm=(40., 30.), hand=(30., 42.), thigh=(78., 56.),
                  shin=(54., 38.), foot=(36., 30.), neck=(48., 45.), torso_depth=(110., 125.))

# Joint limits in degrees: (low, high).
_LIMITS = dict(spine_flex=(-15., 40.), spine_side=(-20., 20.), spine_twist=(-35., 35.),
               head_pitch=(-30., 40.), head_yaw=(-65., 65.), head_roll=(-20., 20.),
               arm_elev=(0., 175.), arm_azim=(-30., 180.), arm_twist=(-40., 80.),
               elbow=(0., 145.), hip_flex=(-25., 120.), hip_abd=(-10., 45.),
               hip_twist=(-20., 30.), knee=(0., 150.))


@dataclass
class Body:
    """A posed person.

    Attributes:
        points (np.ndarray): (NUM_POINTS, 3) positions in mm; body frame until
            :func:`place_in_camera`, camera frame after.
        radii (dict): part name -> (proximal, distal) radius in mm (already scaled).
        head_radius (float): head half-width in mm.
        kind (str): the pose family it was sampled from (one of :data:`POSE_KINDS`).
    """
    points: np.ndarray
    radii: Dict[str, Tuple[float, float]]
    head_radius: float
    kind: str


def rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1., 0., 0.], [0., c, -s], [0., s, c]])


def rot_y(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0., s], [0., 1., 0.], [-s, 0., c]])


def rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.], [s, c, 0.], [0., 0., 1.]])


def _sample_angles(rng: np.random.Generator, kind: str) -> Dict[str, float]:
    """Joint angles (degrees) for one pose family; side-specific ones end in _l / _r."""
    u = rng.uniform
    a = dict(spine_flex=u(-5, 12), spine_side=u(-6, 6), spine_twist=u(-12, 12),
             head_pitch=u(-15, 20), head_yaw=u(-45, 45), head_roll=u(-10, 10))
    for s in 'lr':
        a.update({f'arm_elev_{s}': u(5, 35), f'arm_azim_{s}': u(0, 100),
                  f'arm_twist_{s}': u(-20, 40), f'elbow_{s}': u(0, 45),
                  f'hip_flex_{s}': u(-5, 12), f'hip_abd_{s}': u(0, 12),
                  f'hip_twist_{s}': u(-10, 20), f'knee_{s}': u(0, 15)})
    if kind == 'walking':
        stride = u(15, 35)
        front, back = ('l', 'r') if rng.random() < 0.5 else ('r', 'l')
        a.update({f'hip_flex_{front}': stride, f'hip_flex_{back}': -0.6 * stride,
                  f'knee_{front}': u(0, 25), f'knee_{back}': u(20, 70),
                  f'arm_elev_{back}': u(15, 40), f'arm_azim_{back}': u(-10, 15),
                  f'arm_elev_{front}': u(10, 35), f'arm_azim_{front}': u(150, 180),
                  f'elbow_{back}': u(15, 70), f'elbow_{front}': u(0, 30)})
    elif kind == 'sitting':
        a['spine_flex'] = u(0, 25)
        for s in 'lr':
            a.update({f'hip_flex_{s}': u(65, 105), f'hip_abd_{s}': u(0, 25),
                      f'knee_{s}': u(65, 110), f'arm_elev_{s}': u(15, 55),
                      f'arm_azim_{s}': u(-10, 40), f'elbow_{s}': u(30, 100)})
    elif kind == 'arms_raised':
        sides = ('l', 'r') if rng.random() < 0.5 else (('l',) if rng.random() < 0.5 else ('r',))
        for s in sides:
            a.update({f'arm_elev_{s}': u(100, 175), f'arm_azim_{s}': u(10, 110),
                      f'elbow_{s}': u(0, 70), f'arm_twist_{s}': u(-30, 60)})
    elif kind == 'free':
        for name in ('spine_flex', 'spine_side', 'spine_twist', 'head_pitch', 'head_yaw',
                     'head_roll'):
            a[name] = u(*_LIMITS[name])
        for s in 'lr':
            for name in ('arm_elev', 'arm_azim', 'arm_twist', 'elbow', 'hip_abd', 'hip_twist'):
                a[f'{name}_{s}'] = u(*_LIMITS[name])
            a[f'hip_flex_{s}'] = u(-25, 90)
            a[f'knee_{s}'] = u(0, 120)
    for name, value in a.items():
        low, high = _LIMITS[name[:-2] if name[-2:] in ('_l', '_r') else name]
        a[name] = float(np.clip(value, low, high))
    for s in 'lr':  # an arm swung behind the body cannot also be raised high
        if a[f'arm_azim_{s}'] > 120:
            a[f'arm_elev_{s}'] = min(a[f'arm_elev_{s}'], 60.)
    return a


def _bend(parent_dir: np.ndarray, front: np.ndarray, angle: float) -> np.ndarray:
    """Turn ``parent_dir`` by ``angle`` (radians) towards ``front`` (a hinge joint)."""
    return np.cos(angle) * parent_dir + np.sin(angle) * front


def _limb_frame(rot: np.ndarray, twist: float) -> Tuple[np.ndarray, np.ndarray]:
    """The limb's direction (rest: down) and its twisted front vector (rest: forward)."""
    d = rot @ np.array([0., -1., 0.])
    f = rot @ np.array([0., 0., 1.])
    f = np.cos(twist) * f + np.sin(twist) * np.cross(d, f)
    return d, f


def sample_body(rng: np.random.Generator, kind: Optional[str] = None,
                head_scale: float = 1.) -> Body:
    """Sample bone lengths, a pose family and joint angles; return the body-frame skeleton.

    ``head_scale`` scales the head (1: an adult's head, whose height, chin to crown, is about
    1/7.9 of the standing height)."""
    if kind is None:
        kind = POSE_KINDS[rng.choice(len(POSE_KINDS), p=_POSE_KIND_PROBS)]
    scale = float(np.clip(rng.normal(1.0, 0.07), 0.82, 1.15))
    width = float(rng.uniform(0.88, 1.15))
    bone = {k: v * scale * rng.uniform(0.95, 1.05) for k, v in _BONES.items()}
    bone['head_radius'] *= head_scale
    for k in ('hip_half', 'shoulder_half'):
        bone[k] *= width
    ang = {k: np.deg2rad(v) for k, v in _sample_angles(rng, kind).items()}
    p = np.zeros((NUM_POINTS, 3))

    # Torso: the spine leans, bends sideways and twists the shoulder line.
    spine = rot_y(ang['spine_twist'] * 0.3) @ rot_z(ang['spine_side']) @ rot_x(ang['spine_flex'])
    chest = rot_y(ang['spine_twist'] * 0.7) @ spine
    p[PELVIS] = 0.
    p[11] = [bone['hip_half'], 0., 0.]
    p[12] = [-bone['hip_half'], 0., 0.]
    p[NECK] = spine @ [0., bone['torso'], 0.]
    p[5] = p[NECK] + chest @ [bone['shoulder_half'], -bone['shoulder_drop'], 0.]
    p[6] = p[NECK] + chest @ [-bone['shoulder_half'], -bone['shoulder_drop'], 0.]

    # Head and face (points on a sphere of head_radius around the head centre).
    r = bone['head_radius']
    head = chest @ rot_y(ang['head_yaw']) @ rot_z(ang['head_roll']) @ rot_x(ang['head_pitch'])
    p[HEAD] = p[NECK] + chest @ [0., bone['neck'] + 0.9 * r, 0.15 * r]
    face = {0: (0., -0.12, 0.97), 1: (0.36, 0.2, 0.86), 2: (-0.36, 0.2, 0.86),
            3: (0.96, 0.05, -0.12), 4: (-0.96, 0.05, -0.12), HEAD_TOP: (0., 1.2, 0.),
            HEAD_FRONT: (0., 0., 1.), HAIR: (0., 0.45, -0.35)}
    for idx, local in face.items():
        p[idx] = p[HEAD] + head @ (r * np.asarray(local))

    # Arms: elevation lifts the arm from hanging, azimuth swings it (0 forward, 90 out, 180 back).
    for side, (sh, el, wr, hand) in ((1., (5, 7, 9, L_HAND)), (-1., (6, 8, 10, R_HAND))):
        s = 'l' if side > 0 else 'r'
        rot = chest @ rot_y(side * ang[f'arm_azim_{s}']) @ rot_x(-ang[f'arm_elev_{s}'])
        d, front = _limb_frame(rot, ang[f'arm_twist_{s}'])
        p[el] = p[sh] + bone['upper_arm'] * d
        fore = _bend(d, front, ang[f'elbow_{s}'])
        p[wr] = p[el] + bone['forearm'] * fore
        p[hand] = p[wr] + bone['hand'] * fore

    # Legs: flexion swings the thigh forward, abduction outwards; knees bend backwards only.
    for side, (hip, kn, an, toe) in ((1., (11, 13, 15, L_TOE)), (-1., (12, 14, 16, R_TOE))):
        s = 'l' if side > 0 else 'r'
        rot = (rot_y(side * ang[f'hip_twist_{s}']) @ rot_z(side * ang[f'hip_abd_{s}'])
               @ rot_x(-ang[f'hip_flex_{s}']))
        d, front = _limb_frame(rot, 0.)
        p[kn] = p[hip] + bone['thigh'] * d
        shin = _bend(d, -front, ang[f'knee_{s}'])
        p[an] = p[kn] + bone['shin'] * shin
        foot_dir = rot_y(side * ang[f'hip_twist_{s}']) @ [0., 0., 1.]
        p[toe] = p[an] + bone['foot'] * foot_dir - [0., bone['ankle_height'], 0.]

    radii = {k: (v[0] * scale, v[1] * scale) for k, v in PART_RADII.items()}
    return Body(points=p, radii=radii, head_radius=r, kind=kind)


@dataclass
class Camera:
    """Pinhole intrinsics (pixels) and the camera's small pitch and roll (radians)."""
    fx: float
    fy: float
    cx: float
    cy: float
    pitch: float
    roll: float

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project (N, 3) camera-frame points (z > 0) to (N, 2) pixel coordinates."""
        z = points[:, 2]
        return np.stack([self.fx * points[:, 0] / z + self.cx,
                         self.fy * points[:, 1] / z + self.cy], axis=1)


def sample_camera(rng: np.random.Generator, image_size: Tuple[int, int]) -> Camera:
    """A random pinhole camera for an image of ``image_size`` (w, h).

    Intrinsics are rounded to 0.01 px, the precision they are stored with, so that stored
    2D keypoints are exactly the projection of the stored 3D ones.
    """
    w, h = image_size
    fx = rng.uniform(0.9, 1.6) * max(w, h)
    fy = fx * rng.uniform(0.98, 1.02)
    cx = w / 2 + rng.uniform(-0.03, 0.03) * w
    cy = h / 2 + rng.uniform(-0.03, 0.03) * h
    return Camera(fx=round(fx, 2), fy=round(fy, 2), cx=round(cx, 2), cy=round(cy, 2),
                  pitch=np.deg2rad(rng.uniform(-10, 10)), roll=np.deg2rad(rng.uniform(-5, 5)))


def place_in_camera(body: Body, camera: Camera, yaw: float, center_px: Tuple[float, float],
                    height_px: float) -> Body:
    """Turn the body by ``yaw`` (radians), tilt it by the camera's pitch and roll and move it
    so that the centre of its 3D extent projects to ``center_px`` with an image height of
    about ``height_px``. Returns a new Body whose points are camera coordinates (mm),
    rounded to 0.01 mm (the stored precision).
    """
    # Body frame (Y up, Z forward) -> camera frame (y down, z away): a 180 degree turn
    # about X, so a yaw of 0 faces the camera.
    rot = rot_z(camera.roll) @ rot_x(camera.pitch) @ rot_x(np.pi) @ rot_y(yaw)
    pts = body.points @ rot.T
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    center = (lo + hi) / 2
    depth = max(camera.fy * (hi[1] - lo[1]) / max(height_px, 1.), 1500.)
    offset = np.array([(center_px[0] - camera.cx) * depth / camera.fx,
                       (center_px[1] - camera.cy) * depth / camera.fy, depth])
    pts = np.round(pts - center + offset, 2)
    return Body(points=pts, radii=body.radii, head_radius=body.head_radius, kind=body.kind)
