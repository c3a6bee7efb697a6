# Copyright (c) hsjp-mmpose contributors.
"""Real Human3.6M frames through the H36M 3D config: data set, pipeline, model, MPJPE."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpose.evaluation.metrics import MPJPE
from mmpose.registry import DATASETS, MODELS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from tests.conftest import REAL_DATA_ROOT
from tests.utils import REPO_ROOT

CONFIG = REPO_ROOT / 'configs/pose3d/td-3d_hrnet-w32_8xb64-210e_h36m-256x256.py'


@pytest.fixture(scope='module')
def real_h36m_dir():
    """``shared/data/real/h36m`` (MMPose's test Human3.6M frames, body3d .npz), or skip."""
    path = REAL_DATA_ROOT / 'h36m'
    if not (path / 'test_h36m_body3d.npz').is_file():
        pytest.skip(f'real Human3.6M test data not found at {path} '
                    '(set HSJP_REAL_DATA to the folder holding h36m/)')
    return path


def _dataset(cfg, split, root):
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    dataset_cfg.update(data_root=str(root) + '/', ann_file='test_h36m_body3d.npz',
                       data_prefix=dict(img=''))
    return DATASETS.build(dataset_cfg)


def test_h36m_frames_through_the_training_pipeline(real_h36m_dir):
    register_all_modules()
    cfg = Config.fromfile(str(CONFIG))
    dataset = _dataset(cfg, 'train', real_h36m_dir)
    assert len(dataset) == 4
    sample = dataset[0]
    data_sample = sample['data_samples']
    assert tuple(sample['inputs'].shape) == (3, 256, 256)
    assert data_sample.gt_fields.heatmaps.shape == (17, 64, 64)
    assert data_sample.gt_instance_labels.location_targets.shape == (1, 17, 3)
    target = data_sample.gt_instances.lifting_target
    # root-relative (joint 0, the pelvis) and in mm: a person spans about a metre or two
    np.testing.assert_allclose(target[0, 0], 0., atol=1e-3)
    assert 300 < np.abs(target).max() < 1500


def test_h36m_forward_predict_and_mpjpe(real_h36m_dir):
    register_all_modules()
    cfg = Config.fromfile(str(CONFIG))
    dataset = _dataset(cfg, 'val', real_h36m_dir)
    raw = np.load(real_h36m_dir / 'test_h36m_body3d.npz')
    # ground truth: the .npz joints (m, camera frame) minus the pelvis, in mm
    expected = (raw['S'][:, :, :3] - raw['S'][:, :1, :3]) * 1000.
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    for i, data_sample in enumerate(batch['data_samples']):
        np.testing.assert_allclose(data_sample.gt_instances.lifting_target[0], expected[i],
                                   atol=0.05)
        assert data_sample.metainfo['target_img_path'][0].startswith('S')

    model = MODELS.build(cfg.model)  # no init_weights: no download of ImageNet weights
    model.eval()
    with torch.no_grad():
        results = model.test_step(batch)
    assert results[0].pred_instances.keypoints.shape == (1, 17, 3)
    metrics = {}
    for mode in ('mpjpe', 'p-mpjpe'):
        metric = MPJPE(mode=mode)
        metric.process(batch, [result.to_dict() for result in results])
        metrics.update(metric.compute_metrics(metric.results))
    assert np.isfinite(metrics['MPJPE']) and np.isfinite(metrics['P-MPJPE'])
    assert metrics['P-MPJPE'] <= metrics['MPJPE'] + 1e-6
    # per-action results from the Human3.6M file names
    assert {'MPJPE_Directions', 'MPJPE_SittingDown', 'MPJPE_Greeting', 'MPJPE_WalkDog'} \
        <= set(metrics)
