# Copyright (c) hsjp-mmpose contributors.
"""Runs long enough to learn, with floors: a regression that stops the networks from
learning (a broken target, codec, transfer or augmentation) fails here, not only in the
quickstart's table. About 1.5 minutes on 2 CPU cores."""
import pytest

from hsjp_mmpose.experiments import Arm, ExperimentRunner
from hsjp_mmpose.experiments.options import (coco_data_root_options, init_options,
                                             jigsaw_options, schedule_options)
from hsjp_mmpose.experiments.quickstart import FINETUNE_CONFIGS, PRETRAIN_CONFIG

pytestmark = pytest.mark.integration
PATCH_ACCURACY_FLOOR = 0.45  # chance: 0.25 for a 2x2 puzzle
PCK_FLOOR = 0.5  # PCK@0.2 of a model that has learnt roughly where the joints are


@pytest.fixture(scope='module')
def learnt(tmp_path_factory):
    runner = ExperimentRunner(tmp_path_factory.mktemp('floor'), log=lambda msg: None)
    data = runner.data('easy', 320, 64, seed=0, level='easy')
    pre = runner.run(Arm('pretrain', PRETRAIN_CONFIG, coco_data_root_options(data)
                         + jigsaw_options(PRETRAIN_CONFIG, (2, 2), 4)
                         + schedule_options(PRETRAIN_CONFIG, 20)
                         + ['train_cfg.val_interval=20'], test=False))
    fine_config = FINETUNE_CONFIGS['hsjp']
    fine = runner.run(Arm('finetune', fine_config, coco_data_root_options(data)
                          + schedule_options(fine_config, 12) + ['train_cfg.val_interval=12']
                          + init_options(pre['work_dir'], 'whole', fine_config)))
    return pre, fine


def test_jigsaw_pretraining_beats_chance(learnt):
    pre, _ = learnt
    accuracy = pre['convergence'][-1]['metrics']['jigsaw/patch_accuracy']
    assert accuracy > PATCH_ACCURACY_FLOOR, pre['convergence']


def test_finetuned_pose_estimator_localises(learnt):
    _, fine = learnt
    assert fine['test']['PCK'] > PCK_FLOOR, fine['test']
    assert fine['test']['coco/AP'] > 0.0, fine['test']
