# Copyright (c) hsjp-mmpose contributors.
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import CheckpointHook, EMAHook
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from hsjp_mmpose.engine.hooks import ExportBackboneHook
from tests.test_engine.engine_helpers import (INPUT_SIZE, ListLogger, build_tiny_model, save_training_checkpoint,
                             tiny_model_cfg)

STOCK_CONFIG = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
                'td-hm_res50_8xb64-210e_coco-256x192.py')


def tiny_runner_cfg(data_root, work_dir, **hook_args) -> Config:
    """MMPose's stock ResNet top-down COCO config, shrunk to a few seconds on a CPU."""
    config_file = work_dir / 'tiny_config.py'
    work_dir.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f"_base_ = ['{STOCK_CONFIG}']\n")
    cfg = Config.fromfile(str(config_file))
    model = tiny_model_cfg()
    codec = model['head']['decoder']
    train_pipeline = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='RandomFlip', direction='horizontal'),
        dict(type='TopdownAffine', input_size=INPUT_SIZE),
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs'),
    ]
    val_pipeline = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='TopdownAffine', input_size=INPUT_SIZE),
        dict(type='PackPoseInputs'),
    ]
    dataset = dict(type='CocoDataset', data_root=str(data_root), data_mode='topdown',
                   ann_file='test_coco.json', data_prefix=dict(img=''))
    loader = dict(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.merge_from_dict(dict(
        model=dict(model, _delete_=True),  # no ImageNet init_cfg: nothing to download
        work_dir=str(work_dir),
        train_cfg=dict(max_epochs=2, val_interval=1),
        param_scheduler=[],
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        train_dataloader=dict(**loader, dataset=dict(**dataset, pipeline=train_pipeline)),
        val_dataloader=dict(**loader, dataset=dict(**dataset, bbox_file=None, test_mode=True,
                                                   pipeline=val_pipeline)),
        val_evaluator=dict(type='CocoMetric', ann_file=str(data_root / 'test_coco.json')),
        default_hooks=dict(checkpoint=dict(interval=1, save_best='coco/AP', rule='greater')),
        custom_hooks=[dict(type='ExportBackboneHook', **hook_args)],
        custom_imports=dict(imports=['hsjp_mmpose'], allow_failed_imports=False),
        randomness=dict(seed=0),
    ))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.test_evaluator = cfg.val_evaluator
    return cfg


@pytest.mark.integration
def test_writes_backbone_after_training_and_at_best(real_coco_dir, tmp_path):
    runner = Runner.from_cfg(tiny_runner_cfg(real_coco_dir, tmp_path))
    runner.train()

    final = torch.load(tmp_path / 'backbone.pth', map_location='cpu', weights_only=True)
    model_state = runner.model.backbone.state_dict()
    assert list(final['state_dict']) == list(model_state)
    for name, tensor in model_state.items():
        assert torch.equal(final['state_dict'][name], tensor), name
    assert final['meta']['epoch'] == 2

    best_ckpt = runner.message_hub.get_info('best_ckpt')
    best = torch.load(tmp_path / 'backbone_best.pth', map_location='cpu', weights_only=True)
    assert best['meta']['best_ckpt'] == best_ckpt
    from mmengine.runner.checkpoint import _load_checkpoint
    best_full = _load_checkpoint(str(best_ckpt), map_location='cpu')['state_dict']
    for name, tensor in best['state_dict'].items():
        assert torch.equal(tensor, best_full['backbone.' + name]), name


@pytest.mark.parametrize('kwargs, match', [
    (dict(filename=''), 'filename'),
    (dict(best_filename='backbone.pth'), 'best_filename'),
    (dict(prefix=''), 'prefix'),
])
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExportBackboneHook(**kwargs)


def fake_runner(tmp_path, model, hooks=()):
    hub = MessageHub.get_instance(f'export_hook_{tmp_path.name}')
    return SimpleNamespace(model=model, hooks=list(hooks), work_dir=str(tmp_path), epoch=3,
                           iter=30, logger=ListLogger(), message_hub=hub)


def test_exports_each_new_best_once(tmp_path):
    model = build_tiny_model(seed=1)
    checkpoint_hook = CheckpointHook(save_best=['coco/AP', 'PCK'], rule='greater')
    runner = fake_runner(tmp_path, model, [checkpoint_hook])
    hook = ExportBackboneHook(best_metric='PCK')
    hook.before_train(runner)
    hook.after_val_epoch(runner, {})
    assert not (tmp_path / 'backbone_best.pth').exists()  # no best yet

    best = tmp_path / 'best_PCK_epoch_3.pth'
    save_training_checkpoint(model, str(best))
    runner.message_hub.update_info('best_ckpt_PCK', str(best))
    runner.message_hub.update_info('best_score_PCK', 0.5)
    hook.after_val_epoch(runner, {'PCK': 0.5})
    hook.after_val_epoch(runner, {'PCK': 0.4})  # best unchanged: not exported again
    assert sum('Exported the backbone of the best' in line for line in runner.logger.lines) == 1
    exported = torch.load(tmp_path / 'backbone_best.pth', weights_only=True)
    assert exported['meta']['best_ckpt'] == str(best)
    assert exported['meta']['best_score'] == 0.5
    for name, tensor in model.backbone.state_dict().items():
        assert torch.equal(exported['state_dict'][name], tensor), name

    with pytest.raises(ValueError, match='save_best'):
        ExportBackboneHook(best_metric='AUC').before_train(runner)


def test_final_export_takes_ema_weights(tmp_path):
    model = build_tiny_model(seed=1)
    runner = fake_runner(tmp_path, model)
    ema_hook = EMAHook()
    ema_hook.before_run(runner)
    runner.hooks.append(ema_hook)
    ema_backbone = ema_hook.ema_model.module.backbone
    ema_backbone.conv1.weight.data.add_(1.)  # make the average differ from the model
    ExportBackboneHook().after_train(runner)
    exported = torch.load(tmp_path / 'backbone.pth', weights_only=True)
    assert torch.equal(exported['state_dict']['conv1.weight'], ema_backbone.conv1.weight)
    assert not torch.equal(exported['state_dict']['conv1.weight'], model.backbone.conv1.weight)
    assert exported['meta']['source'].startswith('the EMA of')
    assert exported['meta']['epoch'] == 3 and exported['meta']['iter'] == 30


def test_without_save_best_writes_final_only(tmp_path):
    runner = fake_runner(tmp_path, build_tiny_model(seed=1), [CheckpointHook(interval=1)])
    hook = ExportBackboneHook(filename='pretrained_backbone.pth')
    hook.before_train(runner)
    assert 'no CheckpointHook with save_best' in runner.logger.text
    hook.after_val_epoch(runner, {'PCK': 1.0})
    hook.after_train(runner)
    assert (tmp_path / 'pretrained_backbone.pth').is_file()
    assert not (tmp_path / 'backbone_best.pth').exists()
