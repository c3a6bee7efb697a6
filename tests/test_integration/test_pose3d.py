# Copyright (c) hsjp-mmpose contributors.
"""3D pose from one image through `mim train` / `mim test` on generated people."""
import math
import re

import pytest

from hsjp_mmpose.experiments.options import coco_data_root_options
from tests.utils import REPO_ROOT, run_mim

pytestmark = pytest.mark.integration
CONFIG = REPO_ROOT / 'configs/pose3d/td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py'


@pytest.fixture(scope='module')
def people_3d(tmp_path_factory):
    """About 60 generated images of simple people: 48 train, 12 val."""
    from hsjp_mmpose.synthetic import generate_synthetic_coco
    out = tmp_path_factory.mktemp('people_3d')
    generate_synthetic_coco(out, num_train=48, num_val=12, seed=0, level='easy')
    return out


def _metric(name, text):
    """The last ``name: value`` of a log (``MPJPE: 123.4``, not ``MPJPE_walking: ...``)."""
    values = re.findall(rf'(?<![\w-]){re.escape(name)}: (\S+)', text)
    assert values, f'{name} not reported:\n{text[-3000:]}'
    return float(values[-1])


def test_train_then_test_reports_mpjpe_and_p_mpjpe(people_3d, tmp_path):
    work_dir = tmp_path / 'work'
    options = ['--cfg-options', *coco_data_root_options(people_3d),
               'train_cfg.max_epochs=2', 'default_hooks.checkpoint.interval=1',
               'default_hooks.logger.interval=1',
               'train_dataloader.batch_size=16', 'val_dataloader.batch_size=16',
               'test_dataloader.batch_size=16']
    train = run_mim(['train', 'mmpose', CONFIG, '--work-dir', work_dir, *options], timeout=900)
    assert 'loss_location' in train.stdout
    checkpoint = work_dir / 'epoch_2.pth'
    assert checkpoint.is_file()
    assert list(work_dir.glob('best_MPJPE_epoch_*.pth')), 'save_best on MPJPE wrote nothing'

    test = run_mim(['test', 'mmpose', CONFIG, '--checkpoint', checkpoint,
                    '--work-dir', tmp_path / 'test', *options], timeout=600)
    mpjpe, p_mpjpe = _metric('MPJPE', test.stdout), _metric('P-MPJPE', test.stdout)
    assert math.isfinite(mpjpe) and math.isfinite(p_mpjpe)
    assert 0 < p_mpjpe <= mpjpe
    assert mpjpe < 2000, 'MPJPE should be in mm of root-relative joints'
