# Copyright (c) hsjp-mmpose contributors.
"""The plateau rule with a smoothing window (hsjp_mmpose.engine.plateau) on hand-made
curves; the rule without a window is also tested against mmengine's EarlyStoppingHook in
tests/test_experiments/test_label_efficiency.py."""
import math

import pytest

from hsjp_mmpose.engine.plateau import PlateauRule, plateau, smoothed

NAN, INF = float('nan'), float('inf')

#: A climbing curve with noise: every other validation dips a little below the one before.
#: Iterations 10, 20, ..., 120.
NOISY = [0.10, 0.20, 0.17, 0.19, 0.30, 0.27, 0.36, 0.33, 0.35, 0.34, 0.35, 0.34]
ITERS = [10 * (i + 1) for i in range(len(NOISY))]


def test_smoothed_is_the_trailing_mean():
    assert smoothed([1, 2, 3, 4], 1) == [1., 2., 3., 4.]
    assert smoothed([1, 2, 3, 4], 3) == pytest.approx([1., 1.5, 2., 3.])
    assert smoothed([1, 2, 3, 4], 10) == pytest.approx([1., 1.5, 2., 2.5])
    assert smoothed([], 3) == []
    # a non-finite value stays in the mean of every window that holds it
    out = smoothed([1., NAN, 3., 5.], 2)
    assert out[0] == 1. and math.isnan(out[1]) and math.isnan(out[2]) and out[3] == 4.


def test_window_one_stops_a_noisy_climb_at_its_first_double_dip():
    """Patience 2, min_delta 0.02, the raw curve: 0.10 and 0.20 improve (the reference is
    0.20); 0.17 and 0.19 are both below 0.22: stop at the 4th validation (iteration 40),
    long before the curve has stopped climbing."""
    out = plateau(ITERS, NOISY, PlateauRule(patience=2, min_delta=0.02, window=1))
    assert out == dict(stopped=True, stop_iter=40, num_vals=4, best=0.20, best_iter=20,
                       best_smoothed=0.20)


def test_window_three_lets_the_noisy_curve_climb():
    """The same curve and rule on the mean of the last 3 validations:

    ==== ===== ============================ ==========================
    iter value smoothed                     rule (reference + 0.02)
    ==== ===== ============================ ==========================
    10   0.10  0.10                         improves (ref 0.10)
    20   0.20  0.15                         >= 0.12: improves
    30   0.17  0.47 / 3 = 0.1567            < 0.17: wait 1
    40   0.19  0.56 / 3 = 0.1867            >= 0.17: improves
    50   0.30  0.66 / 3 = 0.22              >= 0.2067: improves
    60   0.27  0.76 / 3 = 0.2533            >= 0.24: improves
    70   0.36  0.93 / 3 = 0.31              >= 0.2733: improves
    80   0.33  0.96 / 3 = 0.32              < 0.33: wait 1
    90   0.35  1.04 / 3 = 0.3467            >= 0.33: improves
    100  0.34  1.02 / 3 = 0.34              < 0.3667: wait 1
    110  0.35  1.04 / 3 = 0.3467            < 0.3667: wait 2, stop
    ==== ===== ============================ ==========================

    The best raw value up to the stop is 0.36 at iteration 70; the best smoothed 1.04 / 3.
    """
    out = plateau(ITERS, NOISY, PlateauRule(patience=2, min_delta=0.02, window=3))
    assert out['stopped'] and out['stop_iter'] == 110 and out['num_vals'] == 11
    assert out['best'] == 0.36 and out['best_iter'] == 70
    assert out['best_smoothed'] == pytest.approx(1.04 / 3)
    # patience 3 stops at the last validation (wait 3); patience 4 runs to the end (the cap)
    out = plateau(ITERS, NOISY, PlateauRule(patience=3, min_delta=0.02, window=3))
    assert out['stopped'] and out['stop_iter'] == 120
    out = plateau(ITERS, NOISY, PlateauRule(patience=4, min_delta=0.02, window=3))
    assert out['stopped'] is False and out['stop_iter'] == 120 and out['num_vals'] == 12
    assert out['best'] == 0.36 and out['best_iter'] == 70


def test_window_with_lower_is_better():
    """MPJPE (mm), window 2, patience 1, min_delta 5: 100, then (100 + 80) / 2 = 90
    improves, (80 + 90) / 2 = 85 improves (exactly 5), (90 + 70) / 2 = 80 improves,
    (70 + 84) / 2 = 77 is not 5 lower: stop at iteration 5. The raw curve (window 1)
    stops at 90, the first value not 5 lower than 80."""
    iters, values = [1, 2, 3, 4, 5, 6], [100., 80., 90., 70., 84., 10.]
    rule = PlateauRule(patience=1, min_delta=5, higher_is_better=False, window=2)
    assert plateau(iters, values, rule) == dict(stopped=True, stop_iter=5, num_vals=5,
                                                best=70., best_iter=4, best_smoothed=77.)
    raw = plateau(iters, values, PlateauRule(1, 5, higher_is_better=False))
    assert raw['stop_iter'] == 3 and raw['best'] == 80. and raw['best_smoothed'] == 80.


def test_non_finite_values_with_a_window():
    rule = PlateauRule(patience=5, min_delta=0., window=2)
    # the NaN makes its window non-finite: stop there; the best ignores it
    out = plateau([10, 20, 30, 40], [0.1, 0.2, NAN, 0.4], rule)
    assert out == dict(stopped=True, stop_iter=30, num_vals=3, best=0.2, best_iter=20,
                       best_smoothed=pytest.approx(0.15))
    # infinity, lower is better (an exploding MPJPE)
    out = plateau([1, 2, 3], [50., INF, 40.],
                  PlateauRule(patience=5, min_delta=0., higher_is_better=False, window=3))
    assert out == dict(stopped=True, stop_iter=2, num_vals=2, best=50., best_iter=1,
                       best_smoothed=50.)
    # a non-finite first value: nothing finite to report
    out = plateau([1, 2], [NAN, 0.5], rule)
    assert out == dict(stopped=True, stop_iter=1, num_vals=1, best=None, best_iter=None,
                       best_smoothed=None)


@pytest.mark.parametrize('window', [0, -1, 1.5, '3', True, None])
def test_window_must_be_a_positive_integer(window):
    with pytest.raises(ValueError, match=r'window must be an integer >= 1'):
        PlateauRule(patience=2, min_delta=0.1, window=window)


def test_describe_names_the_window():
    assert 'the mean of the last 3 validations is at least 0.02 higher' in PlateauRule(
        2, 0.02, window=3).describe('tPCK', 100, 3000)
    text = PlateauRule(4, 1., higher_is_better=False).describe('MPJPE', 60, 1200)
    assert 'the curve is at least 1 lower' in text and 'at 1200 iterations (cap)' in text
