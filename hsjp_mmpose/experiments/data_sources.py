# Copyright (c) hsjp-mmpose contributors.
"""Where an experiment's people come from: one notion of a data source.

A :class:`DataSource` says everything an experiment needs of its data: how the data is
made ready in the work dir (:meth:`DataSource.prepare`: generated once, or converted
once from a published folder), its splits (:class:`DataFiles` per split: the folder,
annotation file and image prefix that the dataloaders are pointed at), the keypoint
layout, the configs of each role (pretraining, fine-tuning, location-free arms), and
the metric that ranks arms (:class:`RankingMetric`). Experiments ask the source for
these instead of calling the generator themselves.

- :class:`GeneratedPeople` (``--dataset generated``, the default): the generator's
  people (COCO-17), the small configs at 128x96, ranked by COCO AP; test = val.
- :class:`LspExtended` (``--dataset lsp-extended --data-root DIR``): Leeds Sports Pose
  Extended as published (14 joints), converted once into ``work_dir/data/lsp-extended``;
  fixed split (train 1-8,000, val 8,001-9,000, test 9,001-10,000); the small configs
  at 128x128; ranked by PCK@0.2 of the torso.

:func:`data_source` builds one from the command-line settings; :func:`add_data_source_args`
adds those settings to a command line.
"""
import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from hsjp_mmpose.config_paths import config_path

__all__ = ['RankingMetric', 'DataFiles', 'PreparedData', 'DataSource', 'GeneratedPeople',
           'LspExtended', 'DATASETS', 'data_source', 'add_data_source_args',
           'data_source_from_args', 'COCO_AP', 'TORSO_PCK', 'MPJPE']


@dataclass(frozen=True)
class RankingMetric:
    """A metric that ranks arms: its key in the metrics, a label, its direction, how it is
    printed (``scale`` times the value with ``digits`` decimals, ``unit`` after the label:
    AP as a percent with one decimal, PCK as a fraction with three, MPJPE in mm) and the
    least change the plateau rule counts (in the metric's own units)."""

    key: str
    label: str
    higher_is_better: bool = True
    scale: float = 100.
    digits: int = 1
    unit: str = '%'
    min_delta: float = 0.005

    @property
    def axis_label(self) -> str:
        return f'{self.label} ({self.unit})' if self.unit else self.label

    def format(self, value: Optional[float]) -> str:
        return 'n/a' if value is None else f'{self.scale * value:.{self.digits}f}'

    def format_gain(self, value: float) -> str:
        return f'{self.scale * value:+.{self.digits}f}'


COCO_AP = RankingMetric('coco/AP', 'COCO AP')
TORSO_PCK = RankingMetric('tPCK', 'PCK@0.2 (torso)', scale=1., digits=3, unit='')
MPJPE = RankingMetric('MPJPE', 'MPJPE', higher_is_better=False, scale=1., digits=1,
                      unit='mm', min_delta=1.)


@dataclass(frozen=True)
class DataFiles:
    """One split of a prepared data set: what a dataloader's ``dataset`` reads."""

    data_root: Path
    ann_file: str
    img_prefix: str

    def dataset_values(self) -> Dict[str, str]:
        return dict(data_root=f'{Path(self.data_root).resolve()}/', ann_file=self.ann_file,
                    **{'data_prefix.img': self.img_prefix})


@dataclass(frozen=True)
class PreparedData:
    """A data set ready in the work dir: its three splits."""

    train: DataFiles
    val: DataFiles
    test: DataFiles

    @property
    def root(self) -> Path:
        return Path(self.train.data_root)

    def split(self, name: str) -> DataFiles:
        if name not in ('train', 'val', 'test'):
            raise KeyError(f"split must be 'train', 'val' or 'test', got {name!r}")
        return getattr(self, name)

    def options(self, config, test_split: str = 'test') -> List[str]:
        """``--cfg-options`` that point ``config``'s three dataloaders at these files
        (train, val, and ``test_split`` for the test loader): the ``data_root`` always,
        the annotation file and image prefix where they differ from the config's."""
        from hsjp_mmpose.experiments.options import dataset_options
        return dataset_options(config, dict(train_dataloader=self.train,
                                            val_dataloader=self.val,
                                            test_dataloader=self.split(test_split)))


class DataSource:
    """What an experiment needs of its data (see the module docstring).

    Attributes:
        name: the ``--dataset`` value.
        title: how reports name it.
        layout: the keypoint layout (:data:`hsjp_mmpose.datasets.layouts.LAYOUTS`).
        metric: the metric that ranks arms.
        input_size: (w, h) of the small configs.
        configs: role -> config file (relative to the config folder).
        real_photos: whether the people are photos (reports say so).
    """

    name: str = ''
    title: str = ''
    layout: str = 'coco'
    metric: RankingMetric = COCO_AP
    input_size: Tuple[int, int] = (96, 128)
    configs: Dict[str, str] = {}
    real_photos: bool = False
    #: extra metrics (key, label) that reports print beside the ranking metric
    report_metrics: Tuple[Tuple[str, str], ...] = ()

    def config(self, role: str) -> Path:
        """The config of ``role`` (e.g. ``'hsjp'``, ``'pose2d-scratch'``).

        Raises:
            KeyError: The source has no config for the role (the message lists those it has).
        """
        if role not in self.configs:
            raise KeyError(f'the {self.name} data source has no config for {role!r}; it has '
                           f'{sorted(self.configs)}')
        return config_path(self.configs[role])

    def has(self, role: str) -> bool:
        return role in self.configs

    def check(self) -> None:
        """Fail before any work when the source cannot be prepared (a missing folder, a
        file not as published), naming the file and what to do."""

    def prepare(self, runner) -> PreparedData:
        """Make the data ready in ``runner.work_dir`` (once) and return its splits."""
        raise NotImplementedError

    def max_labelled(self) -> int:
        """The most labelled people the training split can hold (known before
        :meth:`prepare`), for checking label budgets before any work."""
        raise NotImplementedError

    def more_labels_hint(self) -> str:
        """How to get more labelled people than :meth:`max_labelled`."""
        return 'lower the label budget'

    def describe(self) -> str:
        """One sentence for a report: what the people are and how they are split."""
        return self.title


#: The roles of the generated people's small configs.
GENERATED_CONFIGS = {
    'hsjp': 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py',
    'jigsaw-cls': 'jigsaw_cls/jigsaw-cls_res18-half_1xb32-30e_synthetic-person-128x96.py',
    'keypoints-2d': 'keypoint_pretrain/td-hm_res18-half_1xb32-12e_synthetic-source-128x96.py',
    'pose2d-scratch': 'finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py',
    'pose2d-init': 'finetune/td-hm_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
    'pose3d-scratch': 'pose3d/td-3d_res18-half_scratch_1xb32-30e_synthetic-128x96.py',
    'pose3d-init': 'pose3d/td-3d_res18-half_hsjp-init_1xb32-30e_synthetic-128x96.py',
    'locfree/HeatmapHead_100': 'location_free/td-hm_res18-half_1xb32-12e_synthetic-128x96.py',
    'locfree/LocationFreeHead_0_imagelevel':
        'location_free/locfree_res18-half_1xb32-12e_synthetic-loc0-imagelevel-128x96.py',
    'locfree/LocationFreeHead_0':
        'location_free/locfree_res18-half_1xb32-12e_synthetic-loc0-128x96.py',
    'locfree/LocationFreeHead_25_imagelevel':
        'location_free/locfree_res18-half_1xb32-12e_synthetic-loc25-imagelevel-128x96.py',
    'locfree/LocationFreeHead_25':
        'location_free/locfree_res18-half_1xb32-12e_synthetic-loc25-128x96.py',
    'locfree/LocationFreeHead_25_nopresence':
        'location_free/locfree_res18-half_1xb32-12e_synthetic-loc25-nopresence-128x96.py',
    'locfree/HeatmapHead_25':
        'location_free/td-hm_res18-half_1xb32-12e_synthetic-loc25-128x96.py',
    'locfree/LocationFreeHead_100':
        'location_free/locfree_res18-half_1xb32-12e_synthetic-loc100-128x96.py',
}


@dataclass
class GeneratedPeople(DataSource):
    """Generated people (:func:`hsjp_mmpose.synthetic.generate_synthetic_coco`), made once
    per settings under ``work_dir/data/<level>_seed<seed>``; val is also the test split.

    Args:
        num_train, num_val: images of each split.
        level: the difficulty level.
        seed: the generator's seed.
        generator_options: further arguments of the generator (``max_people``, ...),
            recorded in the data set's stamp.
        data_name: the folder under ``work_dir/data`` (default ``<level>_seed<seed>``).
    """

    num_train: int = 3000
    num_val: int = 300
    level: Union[str, dict] = 'easy'
    seed: int = 0
    generator_options: dict = field(default_factory=dict)
    data_name: Optional[str] = None

    name = 'generated'
    layout = 'coco'
    metric = COCO_AP
    input_size = (96, 128)
    configs = GENERATED_CONFIGS
    report_metrics = (('coco/AP .5', 'AP .5'), ('coco/AP .75', 'AP .75'), ('coco/AR', 'AR'),
                      ('PCK', 'PCK@0.2 (box)'))

    @property
    def title(self) -> str:
        level = self.level if isinstance(self.level, str) else 'custom'
        return f'Generated people ({level} level)'

    @property
    def max_people(self) -> int:
        from hsjp_mmpose.synthetic.levels import get_data_level
        if 'max_people' in self.generator_options:
            return int(self.generator_options['max_people'])
        return get_data_level(self.level).max_people if isinstance(self.level, str) else 1

    def prepare(self, runner) -> PreparedData:
        name = self.data_name or f'{self.level}_seed{self.seed}'
        root = runner.data(name, self.num_train, self.num_val, seed=self.seed,
                           level=self.level, **self.generator_options)
        val = DataFiles(root, 'annotations/person_keypoints_val.json', 'images/val/')
        return PreparedData(
            train=DataFiles(root, 'annotations/person_keypoints_train.json', 'images/train/'),
            val=val, test=val)

    def max_labelled(self) -> int:
        return self.num_train * self.max_people

    def more_labels_hint(self) -> str:
        return 'lower the label budget or generate more images (num_train, max_people)'

    def describe(self) -> str:
        return (f'{self.title}: {self.num_train} training and {self.num_val} validation '
                f'images (generator seed {self.seed}); the validation split is also the test '
                'split')


#: The roles of the LSP Extended small configs.
LSP_CONFIGS = {
    'hsjp': 'hsjp/hsjp_res18-half_1xb32-12e_lsp-person-128x128.py',
    'jigsaw-cls': 'jigsaw_cls/jigsaw-cls_res18-half_1xb32-12e_lsp-person-128x128.py',
    'keypoints-2d':
        'keypoint_pretrain/td-hm_res18-half_1xb32-12e_synthetic-source-lsp-128x128.py',
    'pose2d-scratch': 'finetune/td-hm_res18-half_scratch_1xb32-50e_lsp-128x128.py',
    'pose2d-init': 'finetune/td-hm_res18-half_hsjp-init_1xb32-50e_lsp-128x128.py',
    'locfree/HeatmapHead_100': 'location_free/td-hm_res18-half_1xb32-12e_lsp-128x128.py',
    'locfree/LocationFreeHead_0_imagelevel':
        'location_free/locfree_res18-half_1xb32-12e_lsp-loc0-imagelevel-128x128.py',
    'locfree/LocationFreeHead_0':
        'location_free/locfree_res18-half_1xb32-12e_lsp-loc0-boxlabels-128x128.py',
    'locfree/LocationFreeHead_25_imagelevel':
        'location_free/locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py',
    'locfree/LocationFreeHead_25':
        'location_free/locfree_res18-half_1xb32-12e_lsp-loc25-boxlabels-128x128.py',
    'locfree/LocationFreeHead_25_nopresence':
        'location_free/locfree_res18-half_1xb32-12e_lsp-loc25-nopresence-128x128.py',
    'locfree/HeatmapHead_25': 'location_free/td-hm_res18-half_1xb32-12e_lsp-loc25-128x128.py',
    'locfree/LocationFreeHead_100':
        'location_free/locfree_res18-half_1xb32-12e_lsp-loc100-128x128.py',
    'locfree/LocationFreeHead_25_imagelevel_hsjp':
        'location_free/locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-hsjp-init-128x128.py',
}


@dataclass
class LspExtended(DataSource):
    """Leeds Sports Pose Extended, as its authors publish it, in ``data_root``
    (``joints.mat``, ``images/``), converted once into ``work_dir/data/lsp-extended``
    (:func:`hsjp_mmpose.datasets.converters.convert_lsp`); the fixed split of
    :data:`hsjp_mmpose.datasets.converters.SPLITS`.

    Args:
        data_root: the published folder.
        margin: box margin around the joints (a fraction of their extent per side).
    """

    data_root: Union[str, Path] = ''
    margin: float = 0.1

    name = 'lsp-extended'
    title = 'LSP Extended (real photos)'
    layout = 'lsp'
    metric = TORSO_PCK
    input_size = (128, 128)
    configs = LSP_CONFIGS
    real_photos = True
    report_metrics = (('PCK', 'PCK@0.2 (box)'), ('coco/AP', 'AP (LSP sigmas, %)'))

    def check(self) -> None:
        from hsjp_mmpose.datasets.converters.lsp import read_joints
        if not str(self.data_root):
            raise ValueError('--dataset lsp-extended needs --data-root: the folder of the '
                             'published set (joints.mat and images/)')
        _, kind = read_joints(self.data_root)  # raises on a folder not as published
        if kind != 'lspet':
            raise ValueError(f'{Path(self.data_root) / "joints.mat"} is the original LSP '
                             '(3 x 14 x N); --dataset lsp-extended takes LSP Extended '
                             '(14 x 3 x 10000). Convert LSP with tools/dataset_converters/'
                             'lsp2coco.py')

    def prepare(self, runner) -> PreparedData:
        from hsjp_mmpose.datasets.converters import SPLITS, convert_lsp
        from hsjp_mmpose.datasets.converters.lsp import annotation_file
        self.check()
        out = runner.work_dir / 'data' / self.name
        convert_lsp(self.data_root, out, margin=self.margin, log=runner.say)
        files = {split: DataFiles(out, annotation_file('lspet', split), 'images/')
                 for split in SPLITS['lspet']}
        return PreparedData(**files)

    def max_labelled(self) -> int:
        from hsjp_mmpose.datasets.converters import SPLITS
        first, last = SPLITS['lspet']['train']
        return last - first + 1

    def more_labels_hint(self) -> str:
        return 'lower the label budget: the fixed LSP Extended training split has 8,000 people'

    def describe(self) -> str:
        return ('LSP Extended (Johnson and Everingham, CVPR 2011; 10,000 Flickr photos, one '
                'person each, 14 joints, boxes from the joints), fixed split: images 1-8,000 '
                'train, 8,001-9,000 val (every choice), 9,001-10,000 test (reported)')


#: ``--dataset`` values.
DATASETS = ('generated', 'lsp-extended')


def data_source(dataset: str = 'generated', data_root: Optional[Union[str, Path]] = None,
                **generated) -> DataSource:
    """The source of ``--dataset``: generated people (``generated``: the generator
    settings of the experiment, e.g. ``num_train``, ``level``, ``seed``) or LSP Extended
    (``data_root`` required).

    Raises:
        ValueError: an unknown ``dataset``, or ``data_root`` missing or given for the
            generated people.
    """
    if dataset == 'generated':
        if data_root:
            raise ValueError(f'--data-root {data_root} is for a real data set; the generated '
                             'people are made in the work dir (drop --data-root, or add '
                             '--dataset lsp-extended)')
        return GeneratedPeople(**generated)
    if dataset == 'lsp-extended':
        if not data_root:
            raise ValueError('--dataset lsp-extended needs --data-root DIR, the folder of the '
                             'published LSP Extended (joints.mat and images/)')
        return LspExtended(data_root=data_root)
    raise ValueError(f'--dataset must be one of {DATASETS}, got {dataset!r}')


def add_data_source_args(parser: argparse.ArgumentParser) -> None:
    """``--dataset`` and ``--data-root`` on a command line."""
    parser.add_argument('--dataset', choices=DATASETS, default='generated',
                        help='where the people come from (default: generated people, made '
                             'in the work dir; lsp-extended: real photos, needs --data-root)')
    parser.add_argument('--data-root', default=None,
                        help='with --dataset lsp-extended: the folder of the published set '
                             '(joints.mat and images/)')


def data_source_from_args(args: argparse.Namespace, **generated) -> DataSource:
    """:func:`data_source` of parsed ``--dataset`` / ``--data-root``."""
    return data_source(args.dataset, args.data_root, **generated)
