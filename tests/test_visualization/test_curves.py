# Copyright (c) hsjp-mmpose contributors.
import json

import cv2
import pytest

from hsjp_mmpose.visualization.curves import plot_convergence

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def _records(values, metric='coco/AP'):
    return [dict(epoch=e, iter=10 * e, elapsed_s=3. * e, metrics={metric: v})
            for e, v in enumerate(values, 1)]


def _work_dir(tmp_path, name, values):
    work_dir = tmp_path / name
    work_dir.mkdir()
    (work_dir / 'convergence.json').write_text(json.dumps(_records(values)))
    return work_dir


def test_several_runs_from_work_dirs_and_records(tmp_path):
    runs = {'hsjp': _work_dir(tmp_path, 'hsjp', [0.2, 0.5, 0.6]),
            'scratch': str(_work_dir(tmp_path, 'scratch', [0.1, 0.3, 0.5, 0.55])),
            'jigsaw-cls': _records([0.15, 0.4])}
    out = plot_convergence(runs, 'coco/AP', tmp_path / 'plots' / 'curves.png',
                           title='AP on the generated people')
    data = (tmp_path / 'plots' / 'curves.png').read_bytes()
    assert out == str(tmp_path / 'plots' / 'curves.png')
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    image = cv2.imread(out)
    assert image.shape[0] > 200 and image.shape[1] > 300
    assert image.std() > 10  # not blank


@pytest.mark.parametrize('x', ['iter', 'elapsed_s'])
def test_other_x_axes(tmp_path, x):
    out = plot_convergence({'a': _records([0.1, 0.2])}, 'coco/AP', tmp_path / 'a.png', x=x)
    assert (tmp_path / 'a.png').stat().st_size > 0 and out.endswith('a.png')


def test_errors_name_the_run(tmp_path):
    with pytest.raises(KeyError, match="run 'b'.*'PCK'"):
        plot_convergence({'a': _records([0.1], 'PCK'), 'b': _records([0.1])}, 'PCK',
                         tmp_path / 'x.png')
    with pytest.raises(FileNotFoundError, match='no_hook.*ConvergenceRecorderHook'):
        (tmp_path / 'no_hook').mkdir()
        plot_convergence({'a': tmp_path / 'no_hook'}, 'coco/AP', tmp_path / 'x.png')
    with pytest.raises(ValueError, match='at least one run'):
        plot_convergence({}, 'coco/AP', tmp_path / 'x.png')
    assert not (tmp_path / 'x.png').exists()


def test_panels_side_by_side_with_scale_and_labels(tmp_path):
    from hsjp_mmpose.visualization.curves import plot_convergence_panels
    panels = [dict(runs={'a': _records([0.1, 0.2])}, metric='coco/AP', scale=100,
                   ylabel='AP (%)', xlabel='fine-tuning epoch', title='2D'),
              dict(runs={'a': _records([300., 200.], 'MPJPE')}, metric='MPJPE')]
    out = plot_convergence_panels(panels, tmp_path / 'two.png')
    one = plot_convergence({'a': _records([0.1, 0.2])}, 'coco/AP', tmp_path / 'one.png')
    wide, narrow = cv2.imread(out), cv2.imread(one)
    assert wide.shape[1] > 1.5 * narrow.shape[1]  # two panels
    with pytest.raises(ValueError, match='unknown panel keys'):
        plot_convergence_panels([dict(runs={'a': _records([0.1])}, metric='coco/AP',
                                      colour='red')], tmp_path / 'x.png')
    with pytest.raises(KeyError, match="run 'a'"):
        plot_convergence_panels(panels[1:] + [dict(runs={'a': _records([0.1])},
                                                   metric='MPJPE')], tmp_path / 'x.png')
    assert not (tmp_path / 'x.png').exists()
