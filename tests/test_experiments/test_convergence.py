# Copyright (c) hsjp-mmpose contributors.
"""hsjp_mmpose.experiments.convergence (a re-export of hsjp_mmpose.engine.convergence):
reading convergence.json and epochs to 90%."""
import json
import subprocess
import sys

import pytest

from hsjp_mmpose.experiments.convergence import (epochs_to_fraction, load_convergence,
                                                 metric_curve)


def _records(metric, values, start=1):
    return [dict(epoch=e, iter=10 * e, elapsed_s=2. * e, metrics={metric: v})
            for e, v in enumerate(values, start)]


def test_higher_is_better():
    records = _records('coco/AP', [0.1, 0.5, 0.72, 0.85, 0.8, 0.79])
    # best 0.85 -> target 0.765: epoch 4 (0.72 at epoch 3 is not enough)
    assert epochs_to_fraction(records, 'coco/AP') == 4
    assert epochs_to_fraction(records, 'coco/AP', fraction=0.5) == 2
    assert epochs_to_fraction(records, 'coco/AP', fraction=1.) == 4
    # reaching the target exactly counts (0.45 = 0.9 * 0.5)
    assert epochs_to_fraction(_records('a', [0.2, 0.45, 0.5]), 'a') == 2


def test_the_best_is_over_the_whole_run_not_the_last_epoch():
    records = _records('PCK', [0.2, 0.9, 0.4])  # collapsed at the end
    assert epochs_to_fraction(records, 'PCK') == 2


def test_lower_is_better():
    records = _records('mpjpe', [120., 80., 52., 49., 45., 47.])
    # best 45 -> target 45 / 0.9 = 50: epoch 4 (52 at epoch 3 is not enough)
    assert epochs_to_fraction(records, 'mpjpe', higher_is_better=False) == 4
    assert epochs_to_fraction(records, 'mpjpe', fraction=0.5, higher_is_better=False) == 2
    assert epochs_to_fraction(_records('m', [100., 50., 45.]), 'm',
                              higher_is_better=False) == 2  # 50 == 45 / 0.9


def test_unordered_records_and_missing_values():
    records = _records('coco/AP', [0.1, 0.95, 1.0])[::-1]
    records.insert(1, dict(epoch=0, iter=0, elapsed_s=0., metrics={'other': 1.}))
    records.append(dict(epoch=4, iter=40, elapsed_s=8., metrics={'coco/AP': 'nan'}))
    assert epochs_to_fraction(records, 'coco/AP') == 2
    assert metric_curve(records, 'coco/AP') == ([3, 2, 1], [1.0, 0.95, 0.1])


def test_a_run_that_never_learned_has_no_epoch():
    assert epochs_to_fraction(_records('coco/AP', [0., 0., 0.]), 'coco/AP') is None


def test_errors():
    records = _records('coco/AP', [0.1, 0.2])
    with pytest.raises(KeyError, match="'PCK'.*coco/AP"):
        epochs_to_fraction(records, 'PCK')
    with pytest.raises(ValueError, match='fraction'):
        epochs_to_fraction(records, 'coco/AP', fraction=0)
    with pytest.raises(ValueError, match='fraction'):
        epochs_to_fraction(records, 'coco/AP', fraction=1.5)
    with pytest.raises(ValueError, match='negative'):
        epochs_to_fraction(_records('x', [-1., 2.]), 'x', higher_is_better=False)


def test_load_convergence(tmp_path):
    records = _records('coco/AP', [0.1, 0.2])
    (tmp_path / 'convergence.json').write_text(json.dumps(records[::-1]))
    assert load_convergence(tmp_path) == records  # sorted by iteration
    assert load_convergence(tmp_path / 'convergence.json') == records
    empty = tmp_path / 'empty_run'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty_run.*ConvergenceRecorderHook'):
        load_convergence(empty)
    with pytest.raises(FileNotFoundError, match='no such folder'):
        load_convergence(tmp_path / 'missing')
    (empty / 'convergence.json').write_text('{"epoch": 1}')
    with pytest.raises(ValueError, match='list of'):
        load_convergence(empty)


def test_epochs_to_fraction_of_a_common_reference():
    from hsjp_mmpose.experiments.convergence import epochs_to_fraction
    records = [dict(epoch=e, iter=e, metrics={'ap': v, 'mpjpe': m})
               for e, v, m in ((1, 0.1, 200.), (2, 0.5, 120.), (3, 0.6, 100.))]
    assert epochs_to_fraction(records, 'ap', 0.9, reference=0.55) == 2
    assert epochs_to_fraction(records, 'ap', 0.9, reference=1.0) is None
    assert epochs_to_fraction(records, 'mpjpe', 0.9, higher_is_better=False,
                              reference=90.) == 3
    assert epochs_to_fraction(records, 'mpjpe', 0.9, higher_is_better=False,
                              reference=50.) is None


def test_the_reader_lives_beside_the_hook():
    import hsjp_mmpose.engine.convergence as reader
    import hsjp_mmpose.experiments.convergence as reexport
    from hsjp_mmpose.engine.hooks.convergence_recorder_hook import ConvergenceRecorderHook
    for name in reexport.__all__:
        assert getattr(reexport, name) is getattr(reader, name), name
    assert reexport.HOW_TO_RECORD is reader.HOW_TO_RECORD
    assert ConvergenceRecorderHook().filename == reader.CONVERGENCE_FILE


def test_importing_the_plugin_does_not_load_the_experiments():
    # A training process imports hsjp_mmpose (custom_imports); the experiment runner's
    # package is for the experiment scripts only.
    code = ('import sys, hsjp_mmpose; '
            'print(sorted(m for m in sys.modules if m.startswith("hsjp_mmpose.experiments")))')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == '[]', proc.stdout
