# Copyright (c) hsjp-mmpose contributors.
"""tools/check_upstream_tests.py's logic on a tiny fake MMPose checkout: JUnit outcomes,
the plain and the plugin run, the comparison and its table (MMPose's real tests are not
needed)."""
import textwrap

import pytest

from hsjp_mmpose.patches import upstream_tests
from hsjp_mmpose.patches.upstream_tests import (compare_outcomes, format_comparison,
                                                read_junit_outcomes)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="2" tests="6">
<testcase classname="tests.test_codecs.test_a.TestA" name="test_ok" time="0.1"/>
<testcase classname="tests.test_codecs.test_a.TestA" name="test_bad[x-1]" time="0.1">
  <failure message="assert 0">assert 0</failure></testcase>
<testcase classname="tests.test_codecs.test_a" name="test_skip" time="0.0">
  <skipped type="pytest.skip" message="no GPU">no GPU</skipped></testcase>
<testcase classname="tests.test_codecs.test_a" name="test_xfail" time="0.0">
  <skipped type="pytest.xfail" message="known"/></testcase>
<testcase classname="tests.test_codecs.test_a" name="test_setup_fails" time="0.0">
  <error message="failed on setup">fixture</error></testcase>
<testcase classname="" name="tests.test_apis.test_inference" time="0.0">
  <error message="collection failure">ModuleNotFoundError</error></testcase>
</testsuite></testsuites>
"""


def test_read_junit_outcomes(tmp_path):
    path = tmp_path / 'plain.xml'
    path.write_text(JUNIT)
    assert read_junit_outcomes(path) == {
        'tests.test_codecs.test_a.TestA::test_ok': 'passed',
        'tests.test_codecs.test_a.TestA::test_bad[x-1]': 'failed',
        'tests.test_codecs.test_a::test_skip': 'skipped',
        'tests.test_codecs.test_a::test_xfail': 'skipped',
        'tests.test_codecs.test_a::test_setup_fails': 'error',
        '::tests.test_apis.test_inference': 'error',
    }


def test_compare_and_format():
    plain = {'a::ok': 'passed', 'a::flaky': 'passed', 'a::gone': 'skipped', 'b::x': 'failed'}
    patched = {'a::ok': 'passed', 'a::flaky': 'failed', 'a::new': 'passed', 'b::x': 'failed'}
    comparison = compare_outcomes(plain, patched)
    assert not comparison.identical
    assert comparison.differences == [('a::flaky', 'passed', 'failed'),
                                      ('a::gone', 'skipped', 'absent'),
                                      ('a::new', 'absent', 'passed')]
    table = format_comparison(comparison)
    assert '| plain | 4 | 2 | 1 | 1 | 0 |' in table
    assert '| with hsjp_mmpose | 4 | 2 | 2 | 0 | 0 |' in table
    assert '3 test(s) differ' in table and '| `a::flaky` | passed | failed |' in table
    assert 'Failed or errored in the plain run too (1):\n- `b::x`' in table

    same = compare_outcomes(plain, dict(plain))
    assert same.identical and 'Same outcome for all 4 tests.' in format_comparison(same)


FAKE_TESTS = '''
import sys

import pytest


def test_passes():
    assert True


def test_fails():
    assert 1 == 2


@pytest.mark.skip(reason='not here')
def test_skipped():
    pass


@pytest.fixture
def broken():
    raise RuntimeError('setup fails')


def test_errors(broken):
    pass


def test_plugin_absent():
    # passes in the plain run only: the one difference the comparison must find
    assert 'hsjp_mmpose' not in sys.modules


def test_reads_test_data():
    with open('tests/data/value.txt') as file:  # MMPose's tests read tests/data from cwd
        assert file.read() == '42'
'''


@pytest.fixture
def fake_checkout(tmp_path):
    """A folder laid out like an MMPose checkout; its ``mmpose`` package must never be
    imported (the runs use the installed one)."""
    root = tmp_path / 'mmpose-src'
    (root / 'tests/test_fake').mkdir(parents=True)
    (root / 'tests/data').mkdir()
    (root / 'tests/data/value.txt').write_text('42')
    (root / 'tests/test_fake/test_fake.py').write_text(textwrap.dedent(FAKE_TESTS))
    (root / 'tests/test_fake/test_missing_dep.py').write_text('import hsjp_no_such_module\n')
    (root / 'mmpose').mkdir()
    (root / 'mmpose/__init__.py').write_text("raise ImportError('the checkout was imported')\n")
    (root / 'pytest.ini').write_text('[pytest]\naddopts = --no-such-option\n')
    return root


def test_tool_finds_the_one_difference(fake_checkout, tmp_path, capsys):
    import mmpose
    (fake_checkout / 'mmpose/version.py').write_text(f"__version__ = '{mmpose.__version__}'\n")
    before = sorted(p.relative_to(fake_checkout) for p in fake_checkout.rglob('*'))
    code = upstream_tests.main(['--mmpose-src', str(fake_checkout), '--tests', 'tests/test_fake',
                                '--work-dir', str(tmp_path / 'reports'),
                                '--out', str(tmp_path / 'table.md')])
    out = capsys.readouterr().out
    assert code == 1, out
    assert f'mmpose {mmpose.__version__} from {mmpose.__file__}' in out
    assert '| plain | 7 | 3 | 1 | 1 | 2 |' in out
    assert '| with hsjp_mmpose | 7 | 2 | 2 | 1 | 2 |' in out
    assert '1 test(s) differ' in out
    assert '| `tests.test_fake.test_fake::test_plugin_absent` | passed | failed |' in out
    assert '`::tests.test_fake.test_missing_dep`' in out  # an error both ways, listed
    assert (tmp_path / 'table.md').read_text().strip() == out[out.index('| run |'):].strip()
    # nothing written into the checkout (no cache, no byte code)
    assert sorted(p.relative_to(fake_checkout) for p in fake_checkout.rglob('*')) == before


def test_tool_refuses_a_folder_without_tests(tmp_path, capsys):
    assert upstream_tests.main(['--mmpose-src', str(tmp_path)]) == 2
    assert 'is not an MMPose checkout' in capsys.readouterr().err
