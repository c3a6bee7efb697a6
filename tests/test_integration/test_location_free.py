# Copyright (c) hsjp-mmpose contributors.
"""Location-free configs: they load and build, and one trains through `mim train`."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from tests.utils import REPO_ROOT, run_mim

CONFIG_DIR = REPO_ROOT / 'configs' / 'location_free'
SMALL = CONFIG_DIR / 'locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py'


def _fraction(cfg):
    step = [s for s in cfg.train_dataloader.dataset.pipeline
            if s['type'] == 'SelectLocationLabels']
    return step[0]['fraction'] if step else None


@pytest.mark.parametrize('name, fraction', [
    ('locfree_res18-half_1xb32-12e_synthetic-loc0-128x96.py', 0.0),
    ('locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py', 0.25),
    ('locfree_res18-half_1xb32-12e_synthetic-loc100-128x96.py', 1.0),
    ('td-hm_res18-half_1xb32-12e_synthetic-128x96.py', None),
    ('locfree_hrnet-w32_8xb64-210e_coco-loc0-256x192.py', 0.0),
    ('locfree_hrnet-w32_8xb64-210e_coco-loc25-256x192.py', 0.25),
    ('locfree_hrnet-w32_8xb64-210e_coco-loc100-256x192.py', 1.0),
])
def test_configs_load_with_their_label_fraction(name, fraction):
    cfg = Config.fromfile(CONFIG_DIR / name)
    assert _fraction(cfg) == fraction
    assert cfg.custom_imports['imports'] == ['hsjp_mmpose']


def _build(cfg):
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules
    register_all_modules()
    cfg.model.backbone.pop('init_cfg', None)  # no download
    return MODELS.build(cfg.model).eval()


@pytest.mark.parametrize('name, input_shape, cam_shape', [
    ('locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py', (128, 96), (32, 24)),
    pytest.param('locfree_hrnet-w32_8xb64-210e_coco-loc25-256x192.py', (256, 192), (64, 48),
                 marks=pytest.mark.slow),
])
def test_models_give_cams_of_the_heatmap_size(name, input_shape, cam_shape):
    model = _build(Config.fromfile(CONFIG_DIR / name))
    with torch.no_grad():
        cams, logits = model(torch.zeros(1, 3, *input_shape), None, mode='tensor')
    assert cams.shape == (1, 17, *cam_shape) and logits.shape == (1, 17)


@pytest.mark.parametrize('name, sampler', [
    ('locfree_res18-half_1xb32-12e_synthetic-loc0-128x96.py', 'DefaultSampler'),
    ('locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py', 'LocationLabelBalancedSampler'),
    ('locfree_res18-half_1xb32-12e_synthetic-loc100-128x96.py', 'DefaultSampler'),
    ('td-hm_res18-half_1xb32-12e_synthetic-128x96.py', 'DefaultSampler'),
])
def test_train_sampler_builds_on_the_configs_dataset(name, sampler, synthetic_coco):
    """The 25% config draws half of each batch from the located instances; the others
    (one group only, or no SelectLocationLabels at all) shuffle plainly."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATA_SAMPLERS, DATASETS
    init_default_scope('mmpose')
    cfg = Config.fromfile(CONFIG_DIR / name)
    cfg.train_dataloader.dataset.data_root = f'{synthetic_coco}/'
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    built = DATA_SAMPLERS.build(cfg.train_dataloader.sampler,
                                default_args=dict(dataset=dataset, seed=0))
    assert type(built).__name__ == sampler
    indices = list(built)
    assert len(indices) == len(dataset) and set(indices) <= set(range(len(dataset)))


@pytest.mark.integration
def test_mim_train_location_free_with_cam_hook(synthetic_coco, tmp_path):
    """One epoch of the 25% config, validation with CocoMetric and PCK, CAM images."""
    override = tmp_path / 'locfree_tiny.py'
    override.write_text('\n'.join([
        f"_base_ = [{str(SMALL)!r}]",
        f"data_root = {str(synthetic_coco) + '/'!r}",
        'train_cfg = dict(max_epochs=1, val_interval=1)',
        "default_hooks = dict(checkpoint=dict(interval=1), logger=dict(interval=1))",
        "custom_hooks = [dict(type='CAMVisualizationHook', max_images=2)]",
        *[f"{loader} = dict(batch_size=8, num_workers=0, persistent_workers=False, "
          f"dataset=dict(data_root=data_root))"
          for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
    ]) + '\n')
    work_dir = tmp_path / 'work'
    proc = run_mim(['train', 'mmpose', override, '--work-dir', work_dir], timeout=300)
    out = proc.stdout
    assert re.search(r'loss_presence: \d', out) and re.search(r'loss_heatmap: \d', out)
    assert re.search(r'coco/AP: \d\.\d+', out), out[-3000:]
    assert re.search(r'PCK: \d\.\d+', out), out[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()
    images = list(Path(work_dir, 'cam_vis', 'epoch_1').glob('*.jpg'))
    assert len(images) == 2


@pytest.mark.parametrize('net', ['res18-half_1xb32-12e_synthetic', 'hrnet-w32_8xb64-210e_coco'])
@pytest.mark.parametrize('fraction', [0, 100])
def test_other_fractions_change_only_the_label_selection(net, fraction):
    """The 0% and 100% configs are the 25% one with SelectLocationLabels (found by type)
    at their fraction, a plain shuffle, (0%) presence scoring and weights, and (100%) no
    region presence labels (they only train samples without location labels)."""
    name = 'locfree_{}-loc{}-{}.py'.format(
        net, '{}', '128x96' if 'synthetic' in net else '256x192')
    base = Config.fromfile(CONFIG_DIR / name.format(25))
    cfg = Config.fromfile(CONFIG_DIR / name.format(fraction))
    expected = [dict(step, fraction=fraction / 100)
                if step['type'] == 'SelectLocationLabels' else dict(step)
                for step in base.train_dataloader.dataset.pipeline
                if fraction == 0 or step['type'] != 'GenerateRegionPresenceLabels']
    assert [dict(step) for step in cfg.train_dataloader.dataset.pipeline] == expected
    assert cfg.location_fraction == fraction / 100
    assert cfg.train_dataloader.sampler == dict(type='DefaultSampler', shuffle=True)
    head, base_head = cfg.model.head.to_dict(), base.model.head.to_dict()
    if fraction == 0:
        assert head.pop('score_mode') == 'presence'
        presence, base_presence = head.pop('presence_cfg'), base_head.pop('presence_cfg')
        assert presence['loss']['loss_weight'] == 0.1
        # the part maps' BCE at half the presence weight, as in the 25% config
        assert presence['part_loss']['loss_weight'] == 0.05 == \
            base_presence['part_loss']['loss_weight'] / base_presence['loss']['loss_weight'] * 0.1
        # the region presence loss is the only location signal at 0%: weight 1 (0.1 at 25%)
        assert presence['region_loss'] == dict(base_presence['region_loss'], loss_weight=1.)
        base_head.pop('score_mode')
    else:
        assert head['presence_cfg'].pop('region_loss') is None
        assert base_head['presence_cfg'].pop('region_loss')['type'] == 'RegionPresenceLoss'
    assert head == base_head
