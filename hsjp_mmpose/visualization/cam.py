# Copyright (c) hsjp-mmpose contributors.
"""Drawing per-keypoint class activation maps (CAMs) and the decoded skeleton.

All images are BGR ``uint8`` arrays (H, W, 3), as ``LoadImage`` gives them.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np


def overlay_cam(image: np.ndarray, cam: np.ndarray, alpha: float = 0.5,
                colormap: int = cv2.COLORMAP_JET) -> np.ndarray:
    """Blend one CAM, min-max normalised and resized to the image, over the image.

    Args:
        image (np.ndarray): (H, W, 3) BGR uint8.
        cam (np.ndarray): (h, w) float, any range.
        alpha (float): Weight of the colour map. Defaults to 0.5.
        colormap (int): OpenCV colour map. Defaults to ``cv2.COLORMAP_JET``.

    Returns:
        np.ndarray: (H, W, 3) BGR uint8.
    """
    cam = np.asarray(cam, dtype=np.float32)
    lo, hi = float(cam.min()), float(cam.max())
    norm = (cam - lo) / (hi - lo) if hi > lo else np.zeros_like(cam)
    norm = cv2.resize(norm, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    color = cv2.applyColorMap((norm * 255).astype(np.uint8), colormap)
    return cv2.addWeighted(image, 1 - alpha, color, alpha, 0)


def draw_skeleton(image: np.ndarray, keypoints: np.ndarray, scores: Optional[np.ndarray],
                  skeleton: Sequence[Tuple[int, int]], score_thr: float = 0.,
                  radius: int = 2, thickness: int = 1) -> np.ndarray:
    """Draw keypoints (K, 2) and their links (0-based index pairs) above ``score_thr``."""
    out = image.copy()
    k = len(keypoints)
    ok = np.ones(k, bool) if scores is None else np.asarray(scores) > score_thr
    pts = [tuple(int(round(v)) for v in p[:2]) for p in keypoints]
    for i, j in skeleton:
        if i < k and j < k and ok[i] and ok[j]:
            cv2.line(out, pts[i], pts[j], (0, 255, 0), thickness, cv2.LINE_AA)
    for i in range(k):
        if ok[i]:
            cv2.circle(out, pts[i], radius, (0, 0, 255), -1, cv2.LINE_AA)
    return out


def draw_cam_grid(image: np.ndarray, cams: np.ndarray, keypoints: np.ndarray,
                  scores: Optional[np.ndarray] = None,
                  skeleton: Sequence[Tuple[int, int]] = (),
                  keypoint_names: Optional[Sequence[str]] = None, num_columns: int = 6,
                  tile_scale: float = 2., score_thr: float = 0.) -> np.ndarray:
    """One tile with the decoded skeleton, then one tile per keypoint with its CAM.

    Args:
        image (np.ndarray): Network input crop (H, W, 3) BGR uint8.
        cams (np.ndarray): CAMs (K, h, w) over that crop.
        keypoints (np.ndarray): Decoded keypoints (K, 2) in crop pixels.
        scores (np.ndarray, optional): Keypoint scores (K, ).
        skeleton (Sequence[tuple]): Links as 0-based keypoint index pairs.
        keypoint_names (Sequence[str], optional): Tile captions.
        num_columns (int): Tiles per row. Defaults to 6.
        tile_scale (float): Upscaling of each tile. Defaults to 2.
        score_thr (float): Keypoints at or under it are not drawn. Defaults to 0.

    Returns:
        np.ndarray: The grid, BGR uint8.
    """
    cams = np.asarray(cams)
    keypoints = np.asarray(keypoints, dtype=np.float32).reshape(-1, 2)
    if len(cams) != len(keypoints):
        raise ValueError(f'got {len(cams)} CAMs but {len(keypoints)} keypoints')
    h, w = image.shape[:2]
    size = (int(round(w * tile_scale)), int(round(h * tile_scale)))
    big = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    scaled = keypoints * tile_scale
    tiles = [draw_skeleton(big, scaled, scores, skeleton, score_thr, radius=3,
                           thickness=2)]
    for k, cam in enumerate(cams):
        tile = overlay_cam(big, cam)
        x, y = (int(round(v)) for v in scaled[k])
        cv2.drawMarker(tile, (x, y), (255, 255, 255), cv2.MARKER_CROSS, 10, 2)
        caption = keypoint_names[k] if keypoint_names is not None else str(k)
        if scores is not None:
            caption += f' {float(scores[k]):.2f}'
        cv2.putText(tile, caption, (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    num_rows = -(-len(tiles) // num_columns)
    blank = np.zeros_like(tiles[0])
    tiles += [blank] * (num_rows * num_columns - len(tiles))
    rows = [np.hstack(tiles[r * num_columns:(r + 1) * num_columns]) for r in range(num_rows)]
    return np.vstack(rows)


def keypoints_to_input_space(keypoints: np.ndarray, input_center: np.ndarray,
                             input_scale: np.ndarray,
                             input_size: Tuple[int, int]) -> np.ndarray:
    """Map keypoints (..., 2) from the original image to the network input crop.

    Inverse of what ``TopdownPoseEstimator`` does to predictions (no rotation at test).
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    size = np.asarray(input_size, dtype=np.float32)
    return (keypoints - np.asarray(input_center)) / np.asarray(input_scale) * size + size / 2


def draw_sample_cams(image: np.ndarray, sample, dataset_meta: dict,
                     score_thr: float = 0.) -> np.ndarray:
    """CAM grid of one predicted ``PoseDataSample`` over its network input crop.

    Args:
        image (np.ndarray): The input crop (H, W, 3) BGR uint8 (``inputs`` before the
            data preprocessor, transposed to HWC).
        sample (PoseDataSample): A prediction with ``pred_instances`` and
            ``pred_fields.heatmaps`` (``test_cfg['output_heatmaps']=True``).
        dataset_meta (dict): Dataset metainfo (``skeleton_links``,
            ``keypoint_id2name``).
        score_thr (float): Keypoints scored at or under it are not drawn.

    Returns:
        np.ndarray: The grid of :func:`draw_cam_grid`.
    """
    if 'pred_fields' not in sample or 'heatmaps' not in sample.pred_fields:
        raise KeyError("the sample has no pred_fields.heatmaps: set the model's "
                       "test_cfg['output_heatmaps'] = True")
    names = None
    if 'keypoint_id2name' in dataset_meta:
        names = [dataset_meta['keypoint_id2name'][i]
                 for i in range(dataset_meta['num_keypoints'])]
    heatmaps = sample.pred_fields.heatmaps
    heatmaps = heatmaps.detach().cpu().numpy() if hasattr(heatmaps, 'detach') else heatmaps
    kpts = keypoints_to_input_space(sample.pred_instances.keypoints[0],
                                    sample.metainfo['input_center'],
                                    sample.metainfo['input_scale'],
                                    sample.metainfo['input_size'])
    return draw_cam_grid(np.ascontiguousarray(image, dtype=np.uint8), heatmaps, kpts,
                         sample.pred_instances.keypoint_scores[0],
                         dataset_meta.get('skeleton_links', []), names,
                         score_thr=score_thr)


def sample_file_name(sample, fallback: int) -> str:
    """``{img_id}_{instance id}.jpg`` of a data sample."""
    return f"{sample.metainfo.get('img_id', fallback)}_{sample.metainfo.get('id', fallback)}.jpg"


def render_dataset_cams(cfg, checkpoint: Optional[str], out_dir: str, num_images: int = 8,
                        score_thr: float = 0., device: str = 'cpu') -> list:
    """Run a model on the first validation samples and write their CAM grids.

    Args:
        cfg (mmengine.Config): Model and ``val_dataloader`` config.
        checkpoint (str, optional): Checkpoint to load.
        out_dir (str): Output folder.
        num_images (int): Samples to draw.
        score_thr (float): Keypoints scored at or under it are not drawn.
        device (str): Torch device.

    Returns:
        list[str]: Paths of the written images.
    """
    import os.path as osp

    import mmengine
    import torch
    from mmengine.dataset import pseudo_collate

    from mmpose.apis import init_model
    from mmpose.registry import DATASETS
    from mmpose.utils import register_all_modules

    register_all_modules()
    model = init_model(cfg, checkpoint, device=device)
    model.test_cfg['output_heatmaps'] = True
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    mmengine.mkdir_or_exist(out_dir)
    paths = []
    for idx in range(min(num_images, len(dataset))):
        batch = pseudo_collate([dataset[idx]])
        with torch.no_grad():
            sample = model.test_step(batch)[0]
        image = batch['inputs'][0].numpy().transpose(1, 2, 0)
        grid = draw_sample_cams(image, sample, dataset.metainfo, score_thr)
        path = osp.join(out_dir, sample_file_name(sample, idx))
        cv2.imwrite(path, grid)
        paths.append(path)
    return paths
