# Copyright (c) hsjp-mmpose contributors.
"""Draw keypoints with MMPose's visualizer under NumPy 2.

MMPose 1.3.2's ``PoseLocalVisualizer`` fails under NumPy 2 before it draws a thing, for every
model (``MMPoseInferencer(..., vis_out_dir=...)``, ``mim test --show-dir``,
``add_datasample``):

- it draws each keypoint with ``self.draw_circles(kpt, radius=np.array([self.radius]), ...)``,
  and on the ``opencv`` backend (its default) ``OpencvBackendVisualizer.draw_circles`` calls
  ``int(radius)``: NumPy >= 2.4 refuses ``int()`` of an array with ``ndim > 0``
  (``TypeError: only 0-dimensional arrays can be converted to Python scalars``; deprecated
  since NumPy 1.25, where it gave the one element);
- ``_draw_instances_kpts`` (and its ``openpose`` twin) turns each instance's keypoints into an
  array with ``np.array(kpts, copy=False)``: NumPy 2 reads ``copy=False`` as "never copy" and
  refuses a torch tensor (``ValueError: Unable to avoid copy``) that NumPy 1 converted.

The patch (:func:`install_visualizer_fixes`, applied by :mod:`hsjp_mmpose.patches`) wraps
those methods and hands over to them with the arguments NumPy 1 made of them:

- ``OpencvBackendVisualizer.draw_circles``, ``opencv`` backend: a one-element array radius
  becomes its Python number (``int()`` of it is the integer NumPy < 2.4 gave); the
  ``matplotlib`` backend, whose mmengine method wants an array, gets it unchanged;
- ``PoseLocalVisualizer._draw_instances_kpts`` / ``_draw_instances_kpts_openpose``: keypoints
  held as a torch tensor are handed over as ``np.asarray(tensor)`` (what ``np.array(...,
  copy=False)`` gave under NumPy 1), in a shallow copy of the instances, so the caller's data
  sample is not changed.

Every other argument reaches the stock method unchanged; the lines, polygons, texts and boxes
it draws need nothing (checked for both backends, both skeleton styles, with bounding boxes,
keypoint indices, heatmaps, keypoint weights and ``alpha < 1``).
"""
from typing import Any, Callable, List, Tuple

import numpy as np
import torch

__all__ = ['scalar_radius', 'keypoints_as_arrays', 'install_visualizer_fixes',
           'visualizer_fixes_installed', 'uninstall_visualizer_fixes']

_INSTALLED_FLAG = '_hsjp_visualizer_numpy2'

#: The keypoint fields ``_draw_instances_kpts`` reads (``transformed_keypoints`` first).
_KEYPOINT_FIELDS = ('transformed_keypoints', 'keypoints')


def scalar_radius(radius: Any) -> Any:
    """``radius`` as the number ``int(radius)`` read under NumPy < 2.4: a one-element array
    (any ``ndim``) becomes its Python number; anything else is returned as it is."""
    if isinstance(radius, np.ndarray) and radius.ndim > 0 and radius.size == 1:
        return radius.item()
    return radius


def keypoints_as_arrays(instances: Any) -> Any:
    """``instances`` with torch keypoint fields as NumPy arrays (a shallow copy), or the
    same object when no keypoint field is a tensor."""
    if not (hasattr(instances, 'get') and hasattr(instances, 'new')):
        return instances  # not a data element: stock handles (or refuses) it
    tensors = {name: instances.get(name) for name in _KEYPOINT_FIELDS
               if isinstance(instances.get(name, None), torch.Tensor)}
    if not tensors:
        return instances
    return instances.new(**dict(instances.items(),
                                **{name: np.asarray(value) for name, value in tensors.items()}))


def _mark_wrapper(wrapper: Callable, original: Callable) -> Callable:
    """Give ``wrapper`` the original's name and docstring and mark it installed."""
    wrapper.__wrapped__ = original
    wrapper.__name__ = original.__name__
    wrapper.__doc__ = original.__doc__
    setattr(wrapper, _INSTALLED_FLAG, True)
    return wrapper


def _wrap_draw_circles(original: Callable) -> Callable:
    def draw_circles(self, center, radius, *args, **kwargs):
        if getattr(self, 'backend', None) == 'opencv':
            radius = scalar_radius(radius)
        return original(self, center, radius, *args, **kwargs)
    return _mark_wrapper(draw_circles, original)


def _wrap_draw_instances_kpts(original: Callable) -> Callable:
    def draw_instances_kpts(self, image, instances, *args, **kwargs):
        return original(self, image, keypoints_as_arrays(instances), *args, **kwargs)
    return _mark_wrapper(draw_instances_kpts, original)


def _targets() -> List[Tuple[type, str, Callable]]:
    """``(class, method name, wrapper factory)`` of each wrapped method."""
    from mmpose.visualization import PoseLocalVisualizer
    from mmpose.visualization.opencv_backend_visualizer import OpencvBackendVisualizer
    return [(OpencvBackendVisualizer, 'draw_circles', _wrap_draw_circles),
            (PoseLocalVisualizer, '_draw_instances_kpts', _wrap_draw_instances_kpts),
            (PoseLocalVisualizer, '_draw_instances_kpts_openpose', _wrap_draw_instances_kpts)]


def install_visualizer_fixes() -> None:
    """Wrap ``OpencvBackendVisualizer.draw_circles`` and ``PoseLocalVisualizer``'s two
    keypoint drawers (once; see the module docstring)."""
    for cls, name, wrap in _targets():
        current = cls.__dict__[name]
        if not getattr(current, _INSTALLED_FLAG, False):
            setattr(cls, name, wrap(current))


def visualizer_fixes_installed() -> bool:
    """Whether the three methods are the wrapped ones."""
    return all(getattr(cls.__dict__[name], _INSTALLED_FLAG, False)
               for cls, name, _ in _targets())


def uninstall_visualizer_fixes() -> None:
    """Restore MMPose's own methods (idempotent)."""
    for cls, name, _ in _targets():
        current = cls.__dict__[name]
        if getattr(current, _INSTALLED_FLAG, False):
            setattr(cls, name, current.__wrapped__)
