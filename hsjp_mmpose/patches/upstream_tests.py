# Copyright (c) hsjp-mmpose contributors.
"""MMPose's own unit tests, run plain and with ``hsjp_mmpose`` imported first, compared.

Importing the plugin patches MMPose and mmengine (:mod:`hsjp_mmpose.patches`); MMPose's test
suite must give the same outcome, test by test, either way. :func:`check_upstream_tests`
runs pytest twice on the ``tests/`` folder of an MMPose checkout (``tools/check_upstream_tests.py
--mmpose-src DIR``):

- plain: the tests import MMPose and nothing else;
- patched: ``pytest -p hsjp_mmpose`` imports the plugin as a pytest plugin, i.e. before any
  test module (and before MMPose's own imports), so every patch is in place when the tests
  run. ``HSJP_MMPOSE_DISABLE_PATCHES`` is removed from both runs' environment.

Both runs use the installed ``mmpose`` (the one the plugin patches; ``python -P`` keeps the
checkout's ``mmpose/`` folder off ``sys.path``) and the checkout only for its tests and test
data. The checkout is not modified: pytest reads an ini file of its own from a temporary
folder (MMPose's ``pytest.ini`` asks for the ``xdoctest`` plugin), writes no cache and no
byte code, and records outcomes as JUnit XML in the temporary folder.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = ['DEFAULT_TEST_PATHS', 'OUTCOMES', 'Comparison', 'read_junit_outcomes',
           'compare_outcomes', 'format_comparison', 'run_upstream_tests',
           'check_upstream_tests', 'main']

#: The folders of MMPose 1.3.2's ``tests/`` that exercise what the plugin patches or builds
#: on: codecs, transforms and data sets, metrics, heatmap heads, engine (hooks,
#: schedulers), the inference APIs and the pose estimators. Left out: backbones, necks,
#: losses, other heads, visualisation, structures, utils and ``test_external`` (the plugin
#: touches none of their code paths).
DEFAULT_TEST_PATHS = (
    'tests/test_codecs',
    'tests/test_datasets',
    'tests/test_evaluation',
    'tests/test_models/test_heads/test_heatmap_heads',
    'tests/test_engine',
    'tests/test_apis',
    'tests/test_models/test_pose_estimators',
)

#: Per-test outcomes, in the order of the table.
OUTCOMES = ('passed', 'failed', 'skipped', 'error')

_SEVERITY = ('passed', 'skipped', 'failed', 'error')

#: The environment variable that would switch patches off (removed for both runs).
_DISABLE_ENV = 'HSJP_MMPOSE_DISABLE_PATCHES'

# MMPose's pytest.ini without ``--xdoctest`` (a plugin the stack does not install).
_PYTEST_INI = """[pytest]
norecursedirs = .git ignore build __pycache__ data docker docs .eggs .mim tests/legacy
filterwarnings = default
"""


@dataclass
class Comparison:
    """Per-test outcomes of the two runs and how they differ."""

    plain: Dict[str, str]
    patched: Dict[str, str]
    #: ``(test id, plain outcome, patched outcome)``; ``'absent'`` where a run lacks the test.
    differences: List[Tuple[str, str, str]] = field(default_factory=list)

    def counts(self, which: str) -> Counter:
        return Counter(getattr(self, which).values())

    @property
    def identical(self) -> bool:
        return not self.differences


def _testcase_outcome(testcase: ET.Element) -> str:
    tags = {child.tag for child in testcase}
    if 'error' in tags:
        return 'error'  # incl. a failure in setup / teardown, a module that does not import
    if 'failure' in tags:
        return 'failed'
    if 'skipped' in tags:
        return 'skipped'  # incl. xfail
    return 'passed'


def read_junit_outcomes(path: Path) -> Dict[str, str]:
    """Outcome of every test in pytest's ``--junitxml`` report ``path``.

    Returns:
        dict: ``{'<classname>::<name>': 'passed' | 'failed' | 'skipped' | 'error'}``; a
        module that failed to import appears under its dotted name (``'::tests.x.test_y'``).
    """
    outcomes: Dict[str, str] = {}
    for testcase in ET.parse(str(path)).getroot().iter('testcase'):
        test_id = f'{testcase.get("classname", "")}::{testcase.get("name", "")}'
        outcome = _testcase_outcome(testcase)
        if test_id in outcomes:  # the same id twice (it should not happen): keep the worse
            outcome = max(outcome, outcomes[test_id], key=_SEVERITY.index)
        outcomes[test_id] = outcome
    return outcomes


def compare_outcomes(plain: Dict[str, str], patched: Dict[str, str]) -> Comparison:
    """The tests whose outcome differs between the two runs (or that only one run has)."""
    differences = [(test, plain.get(test, 'absent'), patched.get(test, 'absent'))
                   for test in sorted(set(plain) | set(patched))
                   if plain.get(test) != patched.get(test)]
    return Comparison(plain, patched, differences)


def format_comparison(comparison: Comparison, title: str = '') -> str:
    """A Markdown table of the outcome counts each way, then every test that differs."""
    lines = [title] if title else []
    lines += ['| run | tests | ' + ' | '.join(OUTCOMES) + ' |',
              '|---|---|' + '---|' * len(OUTCOMES)]
    for which, label in (('plain', 'plain'), ('patched', 'with hsjp_mmpose')):
        counts = comparison.counts(which)
        lines.append(f'| {label} | {sum(counts.values())} | '
                     + ' | '.join(str(counts.get(o, 0)) for o in OUTCOMES) + ' |')
    if comparison.identical:
        lines.append(f'\nSame outcome for all {len(comparison.plain)} tests.')
    else:
        lines += [f'\n{len(comparison.differences)} test(s) differ:', '',
                  '| test | plain | with hsjp_mmpose |', '|---|---|---|']
        lines += [f'| `{test}` | {a} | {b} |' for test, a, b in comparison.differences]
    failing = sorted(t for t, o in comparison.plain.items() if o in ('failed', 'error'))
    if failing:
        lines += ['', f'Failed or errored in the plain run too ({len(failing)}):']
        lines += [f'- `{test}`' for test in failing]
    return '\n'.join(lines)


def pytest_command(test_paths: Sequence[str], ini_file: Path, junit_xml: Path,
                   with_plugin: bool, python: str = sys.executable) -> List[str]:
    """The pytest command line of one run (to be run in the checkout's folder)."""
    command = [python, '-P', '-m', 'pytest', '-c', str(ini_file), '--rootdir', '.',
               '-p', 'no:cacheprovider', '--continue-on-collection-errors', '-q',
               '-o', 'junit_family=xunit2', f'--junitxml={junit_xml}']
    if with_plugin:
        command += ['-p', 'hsjp_mmpose']
    return command + list(test_paths)


def _run_environment() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != _DISABLE_ENV}
    env['PYTHONDONTWRITEBYTECODE'] = '1'  # no __pycache__ in the checkout
    return env


def run_upstream_tests(mmpose_src: Path, test_paths: Sequence[str], work_dir: Path,
                       with_plugin: bool, timeout: Optional[float] = None,
                       log=None) -> Dict[str, str]:
    """Run ``test_paths`` of the checkout ``mmpose_src`` once; per-test outcomes.

    Raises:
        RuntimeError: When pytest wrote no report (it could not start, or timed out).
    """
    name = 'patched' if with_plugin else 'plain'
    ini_file = work_dir / 'pytest.ini'
    ini_file.write_text(_PYTEST_INI)
    junit_xml = work_dir / f'{name}.xml'
    command = pytest_command(test_paths, ini_file, junit_xml, with_plugin)
    with open(work_dir / f'{name}.log', 'w') as output:
        try:
            proc = subprocess.run(command, cwd=str(mmpose_src), env=_run_environment(),
                                  stdout=output, stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f'the {name} run of MMPose\'s tests took more than '
                               f'{timeout} s (log: {work_dir / f"{name}.log"})') from error
    if not junit_xml.is_file():
        raise RuntimeError(f'the {name} run wrote no report (pytest exit code '
                           f'{proc.returncode}); see {work_dir / f"{name}.log"}\n'
                           f'command: {" ".join(command)}')
    if log:
        log(f'{name} run: pytest exit code {proc.returncode}, log {work_dir / f"{name}.log"}')
    return read_junit_outcomes(junit_xml)


def _installed_mmpose(mmpose_src: Path) -> Tuple[str, str]:
    """Version and location of the ``mmpose`` the runs import."""
    proc = subprocess.run([sys.executable, '-P', '-c',
                           'import mmpose; print(mmpose.__version__); print(mmpose.__file__)'],
                          cwd=str(mmpose_src), env=_run_environment(), capture_output=True,
                          text=True, timeout=300)
    lines = proc.stdout.split()
    if proc.returncode or len(lines) < 2:
        raise RuntimeError(f'cannot import mmpose: {proc.stderr[-2000:]}')
    return lines[0], lines[1]


def _checkout_version(mmpose_src: Path) -> Optional[str]:
    version_file = mmpose_src / 'mmpose' / 'version.py'
    if not version_file.is_file():
        return None
    for line in version_file.read_text().splitlines():
        if line.startswith('__version__'):
            return line.split('=', 1)[1].strip().strip('\'"')
    return None


def check_upstream_tests(mmpose_src: Path, test_paths: Sequence[str] = DEFAULT_TEST_PATHS,
                         work_dir: Optional[Path] = None, timeout: Optional[float] = None,
                         log=print) -> Comparison:
    """Run ``test_paths`` of ``mmpose_src`` plain, then with ``hsjp_mmpose``; compare.

    Raises:
        FileNotFoundError: When ``mmpose_src`` has no ``tests/`` folder or a path is absent.
    """
    mmpose_src = Path(mmpose_src).resolve()
    missing = [p for p in test_paths if not (mmpose_src / p).exists()]
    if not (mmpose_src / 'tests').is_dir() or missing:
        raise FileNotFoundError(
            f'{mmpose_src} is not an MMPose checkout with {missing or ["tests/"]}; get one '
            'with `git clone --branch v1.3.2 https://github.com/open-mmlab/mmpose` '
            '(the tests need its tests/data folder too)')
    version, location = _installed_mmpose(mmpose_src)
    checkout = _checkout_version(mmpose_src)
    log(f'mmpose {version} from {location}; tests from {mmpose_src} (version {checkout})')
    if checkout is not None and checkout != version:
        log(f'warning: the checkout is MMPose {checkout}, the installed package {version}')
    own_dir = work_dir is None
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix='hsjp_upstream_tests_'))
    work_dir.mkdir(parents=True, exist_ok=True)
    plain = run_upstream_tests(mmpose_src, test_paths, work_dir, False, timeout, log)
    patched = run_upstream_tests(mmpose_src, test_paths, work_dir, True, timeout, log)
    if own_dir:
        log(f'reports and logs: {work_dir}')
    return compare_outcomes(plain, patched)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run MMPose's own unit tests plain and with hsjp_mmpose imported first "
        '(pytest -p hsjp_mmpose), compare the per-test outcomes, print a table; exit code 1 '
        'when any outcome differs.')
    parser.add_argument('--mmpose-src', required=True, type=Path,
                        help='an MMPose checkout (tag v1.3.2) holding tests/ and tests/data/')
    parser.add_argument('--tests', nargs='+', default=list(DEFAULT_TEST_PATHS),
                        help='test folders or files, relative to --mmpose-src '
                        '(default: %(default)s)')
    parser.add_argument('--work-dir', type=Path, default=None,
                        help='where the JUnit reports and logs go (default: a new '
                        'temporary folder)')
    parser.add_argument('--timeout', type=float, default=3600.,
                        help='seconds one run may take (default: %(default)s)')
    parser.add_argument('--out', type=Path, default=None,
                        help='also write the table to this Markdown file')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        comparison = check_upstream_tests(args.mmpose_src, args.tests, args.work_dir,
                                          args.timeout)
    except (FileNotFoundError, RuntimeError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    table = format_comparison(comparison)
    print(table)
    if args.out:
        args.out.write_text(table + '\n')
    return 0 if comparison.identical else 1
