# Copyright (c) hsjp-mmpose contributors.
"""The real-people evaluation: the model's layout read from its config, the
KeypointConverter step (built from joint names) put into the test pipeline, MMPose's own
dataset classes moving each real set's joints to the model's layout (hand-made files), the
command's errors, and a tiny run of the command on the real test images (skipped without
them)."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from hsjp_mmpose.datasets.layouts import LIMB_JOINTS, keypoint_names
from hsjp_mmpose.experiments.real_people import (REAL_SETS, check_real_root, converter_step,
                                                 cross_layout_dataset, cross_layout_pipeline,
                                                 format_table, model_layout, pooled_row)
from tests.conftest import REAL_DATA_ROOT

REPO = Path(__file__).resolve().parents[2]
COCO_CONFIG = REPO / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
LSP_CONFIG = REPO / 'configs/finetune/td-hm_res18-half_scratch_1xb32-50e_lsp-128x128.py'
PACK = dict(type='PackPoseInputs')


def _tool():
    spec = importlib.util.spec_from_file_location('evaluate_on_real_people',
                                                  REPO / 'tools/evaluate_on_real_people.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


# ------------------------------------------------------------------ the model's layout
def test_model_layout_of_the_configs():
    assert model_layout(COCO_CONFIG) == 'coco'
    assert model_layout(LSP_CONFIG) == 'lsp'


def test_model_layout_from_metainfo_and_errors(tmp_path):
    from mmengine.config import Config

    from hsjp_mmpose.datasets.layouts import layout_metainfo_file
    cfg = Config.fromfile(str(COCO_CONFIG))
    # a dataset's own metainfo wins over its class's
    cfg.test_dataloader.dataset.metainfo = dict(from_file=layout_metainfo_file('crowdpose'))
    cfg.model.head.out_channels = 14
    assert model_layout(cfg) == 'crowdpose'
    # the head must predict the layout's joints
    cfg.model.head.out_channels = 17
    with pytest.raises(ValueError, match='head predicts 17 keypoints.*crowdpose.*14'):
        model_layout(cfg)
    # a type that is no pose dataset with a metainfo file
    cfg = Config.fromfile(str(COCO_CONFIG))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.type = 'NoSuchDataset'
    with pytest.raises(ValueError, match="td-hm_res18-half_scratch.*NoSuchDataset"):
        model_layout(cfg)
    # joints that match no layout (Human3.6M's 17)
    cfg = Config.fromfile(str(COCO_CONFIG))
    cfg.test_dataloader.dataset.metainfo = dict(from_file='configs/_base_/datasets/h36m.py')
    with pytest.raises(ValueError, match='match none of the layouts'):
        model_layout(cfg)
    with pytest.raises(ValueError, match='no test_dataloader'):
        model_layout(Config(dict(model=dict(type='TopdownPoseEstimator'))))
    with pytest.raises(FileNotFoundError, match='nope.py'):
        model_layout(tmp_path / 'nope.py')


# ------------------------------------------------------------------ the converter step
def test_converter_step_by_name():
    step = converter_step('crowdpose', 'lsp')
    assert step['type'] == 'KeypointConverter' and step['num_keypoints'] == 14
    src, dst = keypoint_names('crowdpose'), keypoint_names('lsp')
    assert len(step['mapping']) == 12
    assert {dst[t] for _, t in step['mapping']} == set(LIMB_JOINTS)
    assert all(src[s] == dst[t] for s, t in step['mapping'])
    # the model's own layout: only the limb joints stay (COCO's face goes)
    step = converter_step('coco', 'coco')
    assert step['mapping'] == [(k, k) for k in range(5, 17)] and step['num_keypoints'] == 17
    assert converter_step('coco', 'coco', joints=None) is None  # nothing would move
    mpii_to_coco = dict((t, s) for s, t in converter_step('mpii', 'coco', None)['mapping'])
    assert mpii_to_coco == {5: 13, 6: 12, 7: 14, 8: 11, 9: 15, 10: 10, 11: 3, 12: 2, 13: 4,
                            14: 1, 15: 5, 16: 0}


def test_cross_layout_pipeline():
    pipeline = [dict(type='LoadImage'), dict(type='TopdownAffine', input_size=(8, 8)), PACK]
    step = converter_step('mpii', 'lsp')
    out = cross_layout_pipeline(pipeline, step)
    assert [t['type'] for t in out] == ['LoadImage', 'TopdownAffine', 'KeypointConverter',
                                        'PackPoseInputs']
    assert len(pipeline) == 3  # the config's own list is left alone
    assert cross_layout_pipeline(pipeline, None) == pipeline
    with pytest.raises(ValueError, match='no PackPoseInputs'):
        cross_layout_pipeline(pipeline[:2], step)


# ------------------------------------------------------------------ hand-made real sets
def _fake_real_root(root: Path) -> Path:
    """One person per set, joint k of the file at (10 + k, 40 + k), all labelled but the
    file's joint 3, in 64 x 64 images."""
    import cv2
    for real in REAL_SETS.values():
        (root / real.folder).mkdir(parents=True)
        cv2.imwrite(str(root / real.folder / '1.jpg'), np.zeros((64, 64, 3), np.uint8))

    def kpts(n):
        return [v for k in range(n) for v in (10. + k, 40. + k, 0 if k == 3 else 2)]

    def coco_file(n):
        return dict(images=[dict(id=1, file_name='1.jpg', width=64, height=64)],
                    annotations=[dict(id=1, image_id=1, category_id=1, bbox=[1, 1, 60, 60],
                                      area=900, iscrowd=0, num_keypoints=n - 1,
                                      keypoints=kpts(n))],
                    categories=[dict(id=1, name='person')])
    (root / 'ochuman/test_ochuman.json').write_text(json.dumps(coco_file(17)))
    (root / 'coco/test_coco.json').write_text(json.dumps(coco_file(17)))
    crowd = coco_file(14)
    crowd['images'][0]['crowdIndex'] = 0.1
    (root / 'crowdpose/test_crowdpose.json').write_text(json.dumps(crowd))
    (root / 'mpii/test_mpii.json').write_text(json.dumps([dict(
        image='1.jpg', joints=[[10. + k, 40. + k] for k in range(16)],
        joints_vis=[0 if k == 3 else 1 for k in range(16)], center=[32, 32], scale=0.3)]))
    return root


@pytest.mark.parametrize('name', list(REAL_SETS))
@pytest.mark.parametrize('target', ['coco', 'lsp'])
def test_real_set_reaches_the_model_in_its_layout(tmp_path, name, target):
    """MMPose's dataset class reads the set, the converter moves each limb joint to the
    model's index of the same name (the rest unlabelled), flip test gets the model's flip
    indices."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    from hsjp_mmpose.datasets.layouts import layout_metainfo
    init_default_scope('mmpose')
    real = REAL_SETS[name]
    root = _fake_real_root(tmp_path / 'real')
    dataset = DATASETS.build(cross_layout_dataset(
        real.dataset_type, root / real.folder, real.ann_file, '', real.layout, target,
        [dict(type='LoadImage'), dict(type='GetBBoxCenterScale'),
         dict(type='TopdownAffine', input_size=(48, 64)), PACK]))
    assert len(dataset) == 1
    assert dataset.metainfo['dataset_name'] == target
    sample = dataset[0]['data_samples']
    assert sample.metainfo['flip_indices'] == layout_metainfo(target)['flip_indices']
    kpts = np.asarray(sample.gt_instances.keypoints)[0]
    visible = np.asarray(sample.gt_instances.keypoints_visible)[0, :, 0]
    source, model = keypoint_names(real.layout), keypoint_names(target)
    assert kpts.shape == (len(model), 2)
    for t, joint in enumerate(model):
        if joint not in LIMB_JOINTS:
            assert visible[t] == 0, joint
            continue
        s = source.index(joint)
        np.testing.assert_allclose(kpts[t], [10 + s, 40 + s], err_msg=joint)
        assert visible[t] == (0 if s == 3 else 1), joint


def test_check_real_root(tmp_path):
    root = _fake_real_root(tmp_path / 'real')
    check_real_root(root, list(REAL_SETS))
    with pytest.raises(ValueError, match='unknown'):
        check_real_root(root, ['lsp'])
    with pytest.raises(FileNotFoundError, match='not a folder'):
        check_real_root(tmp_path / 'none', ['coco'])
    (root / 'mpii/test_mpii.json').unlink()
    with pytest.raises(FileNotFoundError, match='test_mpii.json.*leave mpii out'):
        check_real_root(root, ['coco', 'mpii'])
    check_real_root(root, ['coco'])


def test_pooled_row_and_table():
    rows = [dict(set='a', title='A', layout='coco', people=4, scored=2, keypoints=40,
                 tpck=0.5, pck=0.8, metrics={}),
            dict(set='b', title='B', layout='mpii', people=1, scored=1, keypoints=10,
                 tpck=0.2, pck=0.3, metrics={}),
            dict(set='c', title='C', layout='mpii', people=3, scored=0, keypoints=0,
                 tpck=0.0, pck=None, metrics={})]
    pooled = pooled_row(rows)
    assert (pooled['people'], pooled['scored'], pooled['keypoints']) == (8, 3, 50)
    assert pooled['tpck'] == pytest.approx((0.5 * 2 + 0.2) / 3)  # weighted by people scored
    assert pooled['pck'] == pytest.approx((0.8 * 4 + 0.3) / 5)  # by people, None left out
    text = format_table(rows + [pooled], 'cfg.py', 'w.pth', 'coco')
    assert '12 limb joints' in text and '| all (people-weighted mean) |  | 8 | 3 | 50 |' in text
    assert '| C | mpii | 3 | 0 | 0 | 0.000 | n/a |' in text


# ------------------------------------------------------------------ the command's errors
def test_command_errors(tmp_path, capsys):
    tool = _tool()
    root = _fake_real_root(tmp_path / 'real')
    checkpoint = tmp_path / 'w.pth'
    checkpoint.write_bytes(b'')

    def error(*args):
        with pytest.raises(SystemExit):
            tool.main([str(a) for a in args])
        return capsys.readouterr().err

    assert 'checkpoint' in error(COCO_CONFIG, tmp_path / 'none.pth', '--real-root', root,
                                 '--work-dir', tmp_path / 'w')
    assert 'config' in error(tmp_path / 'none.py', checkpoint, '--real-root', root,
                             '--work-dir', tmp_path / 'w')
    assert 'real root' in error(COCO_CONFIG, checkpoint, '--real-root', tmp_path / 'none',
                                '--work-dir', tmp_path / 'w')
    # --data-root used to name the real sets' folder: say where it goes now
    assert 'pass it as --real-root' in error(COCO_CONFIG, checkpoint, '--data-root', root,
                                             '--real-root', root)
    assert 'needs --data-root' in error(COCO_CONFIG, checkpoint, '--real-root', root,
                                        '--dataset', 'lsp-extended')
    assert 'joints.mat' in error(COCO_CONFIG, checkpoint, '--real-root', root,
                                 '--dataset', 'lsp-extended', '--data-root', tmp_path)
    cfg = tmp_path / 'h36m.py'
    cfg.write_text(f"_base_ = ['{COCO_CONFIG}']\n"
                   "test_dataloader = dict(dataset=dict(metainfo=dict(\n"
                   "    from_file='configs/_base_/datasets/h36m.py')))\n")
    assert 'match none of the layouts' in error(cfg, checkpoint, '--real-root', root,
                                                '--work-dir', tmp_path / 'w')


# ------------------------------------------------------------------ a tiny real run
@pytest.fixture(scope='module')
def real_root() -> Path:
    if not all((REAL_DATA_ROOT / r.folder / r.ann_file).is_file() for r in REAL_SETS.values()):
        pytest.skip(f'real test data not found at {REAL_DATA_ROOT} (set HSJP_REAL_DATA)')
    return REAL_DATA_ROOT


def _untrained_checkpoint(config: Path, path: Path) -> Path:
    import torch
    from mmpose.apis import init_model
    model = init_model(str(config), None, device='cpu')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


#: people per set (MMPose's test files) and those with a labelled torso
REAL_PEOPLE = dict(ochuman=(5, 5), crowdpose=(4, 3), mpii=(5, 5), coco=(12, 12))


@pytest.mark.integration
@pytest.mark.parametrize('config, layout', [(LSP_CONFIG, 'lsp'), (COCO_CONFIG, 'coco')],
                         ids=['lsp', 'coco'])
def test_command_on_real_people(tmp_path, real_root, config, layout):
    """tools/evaluate_on_real_people.py with an untrained small network (LSP's 14 joints
    and COCO-17) on every real set: a tPCK in [0, 1] and the people scored per set."""
    checkpoint = _untrained_checkpoint(config, tmp_path / 'untrained.pth')
    rows = _tool().main([str(config), str(checkpoint), '--real-root', str(real_root),
                         '--work-dir', str(tmp_path / 'work')])
    print(f'\n{layout} model, untrained:')
    for row in rows:
        print(f"  {row['set']:10s} people {row['people']:3d} scored {row['scored']:3d} "
              f"keypoints {row['keypoints']:4d} tPCK {row['tpck']:.3f} PCK {row['pck']:.3f}")
    assert [r['set'] for r in rows] == list(REAL_SETS) + ['all']
    for row in rows:
        assert 0 <= row['tpck'] <= 1 and 0 <= row['pck'] <= 1
        assert 0 < row['keypoints'] <= 12 * row['people']  # the limb joints only
        if row['set'] != 'all':
            assert (row['people'], row['scored']) == REAL_PEOPLE[row['set']]
            assert row['metrics']['tPCK/people'] == row['scored']
            assert set(k[5:] for k in row['metrics'] if k.startswith('tPCK/') and
                       k != 'tPCK/people') <= set(LIMB_JOINTS)
    assert rows[-1]['people'] == sum(p for p, _ in REAL_PEOPLE.values())
    saved = json.loads((tmp_path / 'work/results.json').read_text())
    assert saved['model_layout'] == layout
    assert '| MPII | mpii | 5 | 5 |' in (tmp_path / 'work/results.md').read_text()


@pytest.mark.integration
def test_data_source_test_split(tmp_path, real_root):
    """A real data source's test split goes through the same path: prepared in the work
    dir, read by the dataset type of the source's config (LspDataset), moved to the
    model's layout (a COCO-17 model on 14 LSP joints)."""
    import cv2

    from hsjp_mmpose.experiments.data_sources import DataFiles, LspExtended, PreparedData
    from hsjp_mmpose.experiments.real_people import evaluate_on_real_people

    class TinyLsp(LspExtended):
        """Three hand-made LSP people instead of the converted published set."""

        def prepare(self, runner):
            root = runner.work_dir / 'data' / 'tiny-lsp'
            (root / 'images').mkdir(parents=True)
            images, anns = [], []
            for i in range(1, 4):
                cv2.imwrite(str(root / f'images/{i}.jpg'),
                            np.full((80, 60, 3), 40 * i, np.uint8))
                images.append(dict(id=i, file_name=f'{i}.jpg', width=60, height=80))
                anns.append(dict(id=i, image_id=i, category_id=1, bbox=[5, 5, 50, 70],
                                 area=1855, iscrowd=0, num_keypoints=14,
                                 keypoints=[v for k in range(14)
                                            for v in (10 + 3 * k, 8 + 4 * k, 2)]))
            (root / 'annotations').mkdir()
            (root / 'annotations/test.json').write_text(json.dumps(dict(
                images=images, annotations=anns, categories=[dict(id=1, name='person')])))
            files = DataFiles(root, 'annotations/test.json', 'images/')
            return PreparedData(train=files, val=files, test=files)

    checkpoint = _untrained_checkpoint(COCO_CONFIG, tmp_path / 'untrained.pth')
    rows = evaluate_on_real_people(COCO_CONFIG, checkpoint, real_root, tmp_path / 'work',
                                   names=['crowdpose'], source=TinyLsp(data_root='unused'))
    assert [r['set'] for r in rows] == ['crowdpose', 'lsp-extended']
    lsp = rows[-1]
    assert (lsp['people'], lsp['scored'], lsp['keypoints']) == (3, 3, 36)
    assert 0 <= lsp['tpck'] <= 1 and lsp['layout'] == 'lsp'
