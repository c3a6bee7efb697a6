# Copyright (c) hsjp-mmpose contributors.
"""Helpers for integration tests that drive the real command-line tools."""
import os
import subprocess
from pathlib import Path
from typing import List, Optional

from hsjp_mmpose.utils import mim_executable

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_command(args: List[str], cwd: Optional[Path] = None, timeout: int = 600,
                env: Optional[dict] = None, check: bool = True
                ) -> subprocess.CompletedProcess:
    """Run a command, returning its output; on failure raise with the output shown."""
    full_env = dict(os.environ)
    full_env.setdefault('OMP_NUM_THREADS', '2')
    full_env['PYTHONUNBUFFERED'] = '1'
    if env:
        full_env.update(env)
    proc = subprocess.run(args, cwd=str(cwd or REPO_ROOT), env=full_env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f'command failed with exit code {proc.returncode}: '
                             f'{" ".join(map(str, args))}\n--- output ---\n{proc.stdout[-8000:]}')
    return proc


def run_mim(args: List[str], **kwargs) -> subprocess.CompletedProcess:
    """``mim <args>``, e.g. ``run_mim(['train', 'mmpose', cfg, '--work-dir', d])``."""
    return run_command([mim_executable(), *map(str, args)], **kwargs)
