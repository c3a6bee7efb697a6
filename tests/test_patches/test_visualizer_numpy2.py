# Copyright (c) hsjp-mmpose contributors.
"""MMPose's visualizer draws under NumPy 2 (patches.visualizer_numpy2); stock otherwise."""
import os
import subprocess
import sys

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmengine.visualization import Visualizer
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample
from mmpose.visualization import PoseLocalVisualizer
from mmpose.visualization.opencv_backend_visualizer import OpencvBackendVisualizer

import hsjp_mmpose  # noqa: F401  (installs the patches)
from hsjp_mmpose import patches
from hsjp_mmpose.patches.visualizer_numpy2 import scalar_radius
from tests.utils import REPO_ROOT

NUMPY_REFUSES_INT_OF_ARRAYS = np.lib.NumpyVersion(np.__version__) >= '2.4.0'
COCO_META = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/coco.py'))
FACE_COLOR = (255, 0, 0)


@pytest.fixture
def restore_patches():
    """Put every patch back in place after the test (they are process-wide)."""
    yield
    patches.install({})
    assert 'visualizer_numpy2' in patches.installed()


def stock():
    """Switch this patch off (the others stay), as ``HSJP_MMPOSE_DISABLE_PATCHES`` does."""
    patches.install({patches.DISABLE_ENV: 'visualizer_numpy2'})
    assert 'visualizer_numpy2' not in patches.installed()


def _canvas(backend: str = 'opencv') -> PoseLocalVisualizer:
    vis = PoseLocalVisualizer(backend=backend)
    vis.set_image(np.zeros((40, 40, 3), np.uint8))
    return vis


def _circle(radius, alpha: float = 1.0) -> np.ndarray:
    vis = _canvas()
    vis.draw_circles(np.array([20., 20.]), radius=radius, face_colors=FACE_COLOR, alpha=alpha)
    return vis.get_image()


def _sample(keypoints) -> PoseDataSample:
    """One person, 17 keypoints spread over an 120 x 100 image, all confident."""
    instances = InstanceData()
    instances.keypoints = keypoints
    instances.keypoint_scores = np.full((1, 17), 0.9)
    instances.bboxes = np.array([[5., 5., 95., 115.]])
    sample = PoseDataSample()
    sample.pred_instances = instances
    return sample


def _keypoints() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.stack([rng.uniform(10, 90, 17), rng.uniform(10, 110, 17)], -1)[None]


def _pose_visualizer(**kwargs) -> PoseLocalVisualizer:
    vis = PoseLocalVisualizer(**kwargs)
    vis.set_dataset_meta(COCO_META)
    return vis


IMAGE = np.full((120, 100, 3), 40, np.uint8)


# ------------------------------------------------------------------- the failure, stock

@pytest.mark.skipif(not NUMPY_REFUSES_INT_OF_ARRAYS, reason='NumPy < 2.4 converts it')
def test_stock_draw_circles_refuses_the_radius_mmpose_passes(restore_patches):
    """The failing call: PoseLocalVisualizer passes ``radius=np.array([self.radius])``."""
    stock()
    with pytest.raises(TypeError, match='only 0-dimensional arrays can be converted'):
        _circle(np.array([3]))
    with pytest.raises(TypeError, match='only 0-dimensional arrays can be converted'):
        _pose_visualizer().add_datasample('x', IMAGE, _sample(_keypoints()), draw_gt=False)


def test_stock_refuses_torch_keypoints(restore_patches):
    stock()
    with pytest.raises(ValueError, match='copy'):
        _pose_visualizer(backend='matplotlib').add_datasample(
            'x', IMAGE, _sample(torch.from_numpy(_keypoints())), draw_gt=False)


# ------------------------------------------------------------------------- the patch

@pytest.mark.parametrize('radius, number', [
    (np.array([3]), 3), (np.array([[3]]), 3), (np.array([2.7]), 2.7),
    (np.array([3], np.int64), 3), (np.array([3.], np.float32), 3.)])
@pytest.mark.parametrize('alpha', [1.0, 0.5])
def test_one_element_radius_draws_as_its_number(radius, number, alpha, restore_patches):
    patched = _circle(radius, alpha)
    assert (patched != 0).any()
    stock()
    np.testing.assert_array_equal(patched, _circle(number, alpha))  # what stock draws


def test_scalar_radius_converts_only_one_element_arrays():
    assert scalar_radius(np.array([3])) == 3 and type(scalar_radius(np.array([3]))) is int
    assert type(scalar_radius(np.array([2.5]))) is float
    for unchanged in (3, 2.5, np.int64(3), np.float32(2.5), np.array(3), torch.tensor([3]),
                      np.array([3, 4]), np.zeros((0, )), None):
        assert scalar_radius(unchanged) is unchanged


@pytest.mark.parametrize('radius', [3, 2.5, np.int64(3), np.float64(2.5), np.array(3),
                                    torch.tensor([3]), torch.tensor(3.)])
def test_accepted_radii_reach_stock_unchanged(radius, monkeypatch):
    """Arguments stock already accepted reach it (and OpenCV) as they were."""
    calls = []
    real_circle = cv2.circle

    def circle(img, center, r, color, thickness):
        calls.append((center, r, color, thickness))
        return real_circle(img, center, r, color, thickness)

    monkeypatch.setattr(cv2, 'circle', circle)
    _circle(radius)
    assert calls == [((20, 20), int(radius), FACE_COLOR, -1)]


def test_refused_radii_are_still_refused():
    with pytest.raises(TypeError):
        _circle(np.array([3, 4]))  # two radii for one circle: refused by stock at any NumPy


def test_matplotlib_backend_gets_the_array(monkeypatch):
    """mmengine's draw_circles wants an array radius: the patch leaves it alone."""
    seen = []
    real = Visualizer.draw_circles

    def spy(self, center, radius, *args, **kwargs):
        seen.append(radius)
        return real(self, center, radius, *args, **kwargs)

    monkeypatch.setattr(Visualizer, 'draw_circles', spy)
    radius = np.array([3])
    _canvas('matplotlib').draw_circles(np.array([20., 20.]), radius=radius)
    assert seen == [radius] and seen[0] is radius


def _palette(vis: PoseLocalVisualizer) -> set:
    return {tuple(int(c) for c in color)
            for color in [*vis.kpt_color, *vis.link_color]}


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(draw_bbox=True, show_kpt_idx=True),
    dict(skeleton_style='openpose'),
    dict(show=True, wait_time=0.01),
])
def test_add_datasample_draws_the_skeleton(kwargs, tmp_path, monkeypatch):
    if kwargs.get('show'):  # no display here: record what would be shown
        shown = []
        monkeypatch.setattr(cv2, 'namedWindow', lambda *a, **k: None)
        monkeypatch.setattr(cv2, 'setWindowTitle', lambda *a, **k: None)
        monkeypatch.setattr(cv2, 'imshow', lambda name, img: shown.append(img))
        monkeypatch.setattr(cv2, 'waitKey', lambda *a: -1)
    vis = _pose_visualizer()
    if kwargs.get('skeleton_style') == 'openpose':
        vis.set_dataset_meta(dict(COCO_META, dataset_name='coco'), skeleton_style='openpose')
    keypoints = _keypoints()
    out_file = tmp_path / 'drawn.png'
    drawn = vis.add_datasample('x', IMAGE, _sample(keypoints), draw_gt=False,
                               out_file=str(out_file), **kwargs)
    assert drawn.shape == IMAGE.shape
    for x, y in keypoints[0].astype(int):  # a keypoint circle at every keypoint
        assert (drawn[y, x] != IMAGE[y, x]).any()
    if not kwargs:  # only keypoint and link colours (OpenCV does not blend), every link
        changed = (drawn != IMAGE).any(-1)
        assert {tuple(int(c) for c in p) for p in drawn[changed]} <= _palette(vis)
        for i, j in vis.skeleton:
            x, y = ((keypoints[0, i] + keypoints[0, j]) / 2).astype(int)
            assert changed[y - 1:y + 2, x - 1:x + 2].any(), (i, j)
    np.testing.assert_array_equal(mmcv.imread(str(out_file), channel_order='rgb'), drawn)
    if kwargs.get('show'):
        assert len(shown) == 1 and shown[0].shape == IMAGE.shape


def test_torch_keypoints_draw_as_numpy_keypoints():
    sample = _sample(torch.from_numpy(_keypoints()))
    from_tensor = _pose_visualizer().add_datasample('x', IMAGE, sample, draw_gt=False)
    from_array = _pose_visualizer().add_datasample('x', IMAGE, _sample(_keypoints()),
                                                   draw_gt=False)
    np.testing.assert_array_equal(from_tensor, from_array)
    assert isinstance(sample.pred_instances.keypoints, torch.Tensor)  # the caller's, unchanged


# ------------------------------------------------------------------------ switching off

def test_disabling_restores_the_stock_methods(restore_patches):
    methods = [(OpencvBackendVisualizer, 'draw_circles'),
               (PoseLocalVisualizer, '_draw_instances_kpts'),
               (PoseLocalVisualizer, '_draw_instances_kpts_openpose')]
    wrappers = [cls.__dict__[name] for cls, name in methods]
    assert all(getattr(w, '_hsjp_visualizer_numpy2', False) for w in wrappers)
    stock()
    for (cls, name), wrapper in zip(methods, wrappers):
        assert cls.__dict__[name] is wrapper.__wrapped__, name  # MMPose's own function
    assert 'draw_circles' not in PoseLocalVisualizer.__dict__  # it inherits, as stock does
    patches.install({})
    for (cls, name), wrapper in zip(methods, wrappers):  # wrapped again, once
        assert cls.__dict__[name].__wrapped__ is wrapper.__wrapped__, name


@pytest.mark.skipif(not NUMPY_REFUSES_INT_OF_ARRAYS, reason='NumPy < 2.4 converts it')
def test_environment_variable_switches_it_off():
    code = ('import numpy as np, hsjp_mmpose\n'
            'from hsjp_mmpose import patches\n'
            'from mmpose.visualization import PoseLocalVisualizer\n'
            'print("installed:", ",".join(patches.installed()))\n'
            'vis = PoseLocalVisualizer(); vis.set_image(np.zeros((9, 9, 3), np.uint8))\n'
            'try:\n'
            '    vis.draw_circles(np.array([4., 4.]), np.array([2]), face_colors=(9, 9, 9))\n'
            '    print("drawn")\n'
            'except TypeError as e:\n'
            '    print("raised:", e)\n')
    for value, expected in (('visualizer_numpy2', 'raised: only 0-dimensional'),
                            ('data_errors', 'drawn')):
        env = dict(os.environ, HSJP_MMPOSE_DISABLE_PATCHES=value, PYTHONPATH=str(REPO_ROOT))
        proc = subprocess.run([sys.executable, '-c', code], cwd=str(REPO_ROOT), env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert expected in proc.stdout, proc.stdout + proc.stderr
        assert ('visualizer_numpy2' in proc.stdout.split('installed:')[1].splitlines()[0]) \
            == (value != 'visualizer_numpy2')
