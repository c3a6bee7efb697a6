# Copyright (c) hsjp-mmpose contributors.
"""Real COCO images and annotations through the same pipeline the generated data uses."""
from mmengine.config import Config
from mmpose.registry import DATASETS
from mmpose.utils import register_all_modules

import hsjp_mmpose  # noqa: F401
from tests.utils import REPO_ROOT

TINY_CONFIG = REPO_ROOT / 'tests/data/configs/td-hm_res18-tiny_1xb8-2e_synthetic-128x96.py'


def test_real_coco_through_training_pipeline(real_coco_dir):
    register_all_modules()
    cfg = Config.fromfile(str(TINY_CONFIG))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=str(real_coco_dir), ann_file='test_coco.json',
                       data_prefix=dict(img=''))
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) > 0
    sample = dataset[0]
    inputs, data_sample = sample['inputs'], sample['data_samples']
    assert tuple(inputs.shape) == (3, 128, 96)
    assert data_sample.gt_fields.heatmaps.shape == (17, 32, 24)
    assert data_sample.gt_instances.bboxes.shape == (1, 4)
    assert data_sample.gt_instance_labels.keypoint_weights.shape == (1, 17)


def test_real_coco_location_label_sampler(real_coco_dir):
    """The 25% location-free config's pipeline and sampler on real COCO people (several per
    image): every instance has its own id, and the sampler's choice is the pipeline's."""
    import numpy as np
    from mmpose.registry import DATA_SAMPLERS
    register_all_modules()
    cfg = Config.fromfile(str(
        REPO_ROOT / 'configs/location_free/locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=str(real_coco_dir), ann_file='test_coco.json',
                       data_prefix=dict(img=''))
    dataset = DATASETS.build(dataset_cfg)
    sampler = DATA_SAMPLERS.build(cfg.train_dataloader.sampler,
                                  default_args=dict(dataset=dataset, seed=0))
    flags = np.array([float(dataset[i]['data_samples'].gt_instance_labels.has_location_label[0])
                      for i in range(len(dataset))], dtype=bool)
    np.testing.assert_array_equal(np.isin(np.arange(len(dataset)), sampler.labelled), flags)
    assert set(sampler) <= set(range(len(dataset)))
