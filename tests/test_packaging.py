# Copyright (c) hsjp-mmpose contributors.
"""A built package carries the configs (``hsjp_mmpose/.mim/configs``, as MMPose ships its
own), and an install that is not editable finds them there, not in a checkout."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.utils import REPO_ROOT

pytestmark = pytest.mark.integration

#: What setup.py and MANIFEST.in read: the part of the checkout a build sees.
SOURCES = ('setup.py', 'MANIFEST.in', 'README.md', 'requirements', 'hsjp_mmpose', 'configs')
CONFIG = 'hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'
LSP_METAINFO = '_base_/datasets/lsp.py'
PIP = [sys.executable, '-m', 'pip', '--isolated', '--disable-pip-version-check']


def run(args, cwd: Path) -> str:
    proc = subprocess.run([str(a) for a in args], cwd=str(cwd), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, (f'{" ".join(map(str, args))} failed:\n'
                                  f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc.stdout


def checkout_configs() -> set:
    """The config folder's files, relative to it (no byte code)."""
    folder = REPO_ROOT / 'configs'
    return {p.relative_to(folder).as_posix() for p in folder.rglob('*')
            if p.is_file() and '__pycache__' not in p.parts and p.suffix != '.pyc'}


@pytest.fixture(scope='module')
def source(tmp_path_factory) -> Path:
    """A copy of the checkout's sources, so that the build writes nothing into it."""
    src = tmp_path_factory.mktemp('packaging') / 'hsjp-mmpose'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in SOURCES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / name)
    return src


@pytest.fixture(scope='module')
def sdist(source) -> Path:
    out = source.parent / 'sdist'
    run([sys.executable, 'setup.py', '-q', 'sdist', '--dist-dir', out], cwd=source)
    (archive,) = out.glob('hsjp_mmpose-*.tar.gz')
    return archive


def build_wheel(what: Path, out: Path) -> Path:
    run([*PIP, 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-w', out, what],
        cwd=out.parent)
    (wheel,) = out.glob('hsjp_mmpose-*.whl')
    return wheel


@pytest.fixture(scope='module')
def wheel(source) -> Path:
    return build_wheel(source, source.parent / 'wheel')


def assert_configs_packaged(names) -> None:
    prefix = 'hsjp_mmpose/.mim/configs/'
    packaged = {n[len(prefix):] for n in names if n.startswith(prefix) and not n.endswith('/')}
    assert {CONFIG, LSP_METAINFO} <= packaged
    assert packaged == checkout_configs()
    assert not [n for n in names if n.startswith('configs/') or n.endswith('.pyc')]


def test_wheel_carries_the_configs(wheel):
    with zipfile.ZipFile(wheel) as archive:
        assert_configs_packaged(archive.namelist())


def test_sdist_carries_configs_and_builds_a_wheel_with_them(sdist):
    with tarfile.open(sdist) as archive:
        names = {n.split('/', 1)[1] for n in archive.getnames() if '/' in n}
    assert {f'configs/{CONFIG}', f'configs/{LSP_METAINFO}', 'requirements/tests.txt',
            'setup.py', 'MANIFEST.in'} <= names
    assert not [n for n in names if '/.mim/' in n or n.endswith('.pyc')]
    with zipfile.ZipFile(build_wheel(sdist, sdist.parent.parent / 'wheel_from_sdist')) as w:
        assert_configs_packaged(w.namelist())


def test_installed_package_reads_its_own_configs(wheel):
    site = wheel.parent.parent / 'site'
    run([*PIP, 'install', '--no-deps', '--no-index', '--target', site, wheel], cwd=wheel.parent)
    code = '\n'.join([
        'import json, sys',
        'import hsjp_mmpose',
        'from hsjp_mmpose.config_paths import config_dir, config_path',
        'from hsjp_mmpose.datasets import LspDataset',
        'print(json.dumps(dict(',
        '    package=hsjp_mmpose.__file__, config_dir=str(config_dir()),',
        f'    config=str(config_path({CONFIG!r})),',
        "    lsp_metainfo=LspDataset.METAINFO['from_file'],",
        '    modules=[getattr(m, "__file__", None) or "" for n, m in sys.modules.items()',
        '             if n.startswith("hsjp_mmpose")])))',
    ])
    # -S: no site (.pth) processing, so the checkout's editable-install finder is not
    # loaded; only the install and the venv's packages (mmengine, mmpose) are on the path.
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME')}
    env['PYTHONPATH'] = os.pathsep.join([str(site), sysconfig.get_paths()['purelib']])
    proc = subprocess.run([sys.executable, '-S', '-c', code], cwd=str(site.parent), env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    package = site / 'hsjp_mmpose'
    assert Path(found['package']).parent == package
    assert Path(found['config_dir']) == package / '.mim' / 'configs'
    assert Path(found['config']) == package / '.mim' / 'configs' / CONFIG
    assert Path(found['config']).is_file()
    assert Path(found['lsp_metainfo']) == package / '.mim' / 'configs' / LSP_METAINFO
    from_checkout = [f for f in found['modules'] if f.startswith(str(REPO_ROOT))]
    assert not from_checkout and found['modules']
