# Copyright (c) hsjp-mmpose contributors.
"""hsjp_mmpose.experiments.plateau: whether a gain is converged (converged_gain) and the
stopping hook plateau_options configures for each window. The rule itself and
labels_to_match are tested in test_engine/test_plateau.py and test_label_efficiency.py."""
import argparse

import pytest

from hsjp_mmpose.experiments.plateau import PlateauRule, converged_gain, plateau_options
from tests.utils import REPO_ROOT

SCRATCH_2D = REPO_ROOT / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'


def _arm(best, stopped=True):
    return dict(best=best, stopped=stopped)


# ------------------------------------------------------------------ converged_gain
def test_a_converged_gain_holds():
    """HSJP 0.40, scratch 0.30, both stopped by the rule, scratch trained long 0.35: a
    gain of 0.10 that the long arm does not reach."""
    out = converged_gain(_arm(0.40), _arm(0.30), dict(best=0.35), min_gain=0.05)
    assert out == dict(gain=pytest.approx(0.10), converged=True, long_below=True, holds=True)
    # the same numbers against a target the gain misses
    assert converged_gain(_arm(0.40), _arm(0.30), dict(best=0.35), min_gain=0.15)['holds'] \
        is False
    # a gain of exactly the target counts (0.3 - 0.1 is 0.19999999999999998 in floats)
    out = converged_gain(_arm(0.3), _arm(0.1), dict(best=0.2), min_gain=0.2)
    assert out['gain'] < 0.2 and out['holds'] is True


@pytest.mark.parametrize('pretrained, scratch', [
    (_arm(0.40, stopped=False), _arm(0.30)),  # the pretrained arm ran to the cap
    (_arm(0.40), _arm(0.30, stopped=False)),  # scratch ran to the cap
    (dict(best=0.40), _arm(0.30)),  # no stop recorded
])
def test_an_arm_stopped_by_the_cap_is_not_converged(pretrained, scratch):
    out = converged_gain(pretrained, scratch, dict(best=0.35))
    assert out['converged'] is False and out['long_below'] is True and out['holds'] is False
    assert out['gain'] == pytest.approx(0.10)


def test_the_long_scratch_arm_decides():
    # scratch trained longer catches up (a head start, not a gain) or ties
    for long_best in (0.45, 0.40):
        out = converged_gain(_arm(0.40), _arm(0.30), dict(best=long_best))
        assert out['converged'] and out['long_below'] is False and out['holds'] is False
    # no long arm, or one without a score: undecided, so the gain does not hold
    for long in (None, dict(best=None), {}):
        out = converged_gain(_arm(0.40), _arm(0.30), long)
        assert out['long_below'] is None and out['holds'] is False
        assert out['converged'] and out['gain'] == pytest.approx(0.10)


def test_lower_is_better():
    """MPJPE (mm): pretrained 80, scratch 100: a gain of +20; the long scratch arm at 90
    stays above (worse), at 75 it beats the pretrained arm."""
    out = converged_gain(_arm(80.), _arm(100.), dict(best=90.), min_gain=10.,
                         higher_is_better=False)
    assert out == dict(gain=20., converged=True, long_below=True, holds=True)
    out = converged_gain(_arm(80.), _arm(100.), dict(best=75.), higher_is_better=False)
    assert out['long_below'] is False and out['holds'] is False
    # pretrained worse than scratch: a negative gain misses any target >= 0
    out = converged_gain(_arm(110.), _arm(100.), dict(best=120.), higher_is_better=False)
    assert out['gain'] == -10. and out['long_below'] is True and out['holds'] is False


# ------------------------------------------------------------------ plateau_options
def _hook_cfg(options):
    """The config's ``default_hooks.early_stopping`` after the overrides, as mim applies
    them."""
    from mmengine.config import Config, DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile(str(SCRATCH_2D))
    cfg.merge_from_dict(parser.parse_args(['--cfg-options', *options]).cfg_options)
    return cfg.default_hooks.early_stopping.to_dict()


def _build(hook_cfg):
    import hsjp_mmpose  # noqa: F401  (registers PlateauStoppingHook)
    from mmengine.registry import init_default_scope
    from mmpose.registry import HOOKS
    init_default_scope('mmpose')
    return HOOKS.build(dict(hook_cfg))


def test_window_one_is_mmengines_early_stopping_hook_strict():
    rule = PlateauRule(patience=3, min_delta=0.005)
    options = plateau_options(SCRATCH_2D, 50, rule, 'coco/AP', val_every=60, max_iters=1000)
    hook_options = [o for o in options if 'early_stopping' in o]
    assert hook_options == ['default_hooks.early_stopping.type=EarlyStoppingHook',
                            'default_hooks.early_stopping.monitor=coco/AP',
                            'default_hooks.early_stopping.rule=greater',
                            'default_hooks.early_stopping.min_delta=0.005',
                            'default_hooks.early_stopping.patience=3',
                            'default_hooks.early_stopping.strict=True']
    hook_cfg = _hook_cfg(options)
    assert hook_cfg == dict(type='EarlyStoppingHook', monitor='coco/AP', rule='greater',
                            min_delta=0.005, patience=3, strict=True)
    hook = _build(hook_cfg)
    assert type(hook).__name__ == 'EarlyStoppingHook' and hook.strict and hook.patience == 3


def test_window_three_is_the_plateau_stopping_hook_without_strict():
    """A wider window needs the plugin's hook, which takes ``window`` and has no
    ``strict`` (it always fails on a missing monitor); lower is better gives 'less'."""
    rule = PlateauRule(patience=4, min_delta=1., higher_is_better=False, window=3)
    options = plateau_options(SCRATCH_2D, 800, rule, 'MPJPE', val_every=60, max_iters=1000)
    hook_options = [o for o in options if 'early_stopping' in o]
    assert hook_options == ['default_hooks.early_stopping.type=PlateauStoppingHook',
                            'default_hooks.early_stopping.monitor=MPJPE',
                            'default_hooks.early_stopping.rule=less',
                            'default_hooks.early_stopping.min_delta=1.0',
                            'default_hooks.early_stopping.patience=4',
                            'default_hooks.early_stopping.window=3']
    # the schedule does not depend on the window: N = 800 at batch 32, validation every
    # 2 epochs, the cap of 1000 iterations as 40 epochs
    assert 'train_cfg.val_interval=2' in options and 'train_cfg.max_epochs=40' in options
    hook = _build(_hook_cfg(options))
    assert type(hook).__name__ == 'PlateauStoppingHook'
    assert hook.monitor == 'MPJPE' and hook.rule == rule
