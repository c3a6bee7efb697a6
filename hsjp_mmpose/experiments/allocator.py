# Copyright (c) hsjp-mmpose contributors.
"""glibc ``malloc`` settings that spare a CPU training step its page faults.

A training step frees and allocates the same large tensors every iteration. With glibc's
defaults, blocks above a (moving) threshold come from ``mmap`` and go back with
``munmap``, and the top of the heap is trimmed back to the system, so each iteration
faults in (and the kernel zeroes) fresh pages: about 9,000 per step of the small configs
on generated people, 5-10% of a CPU iteration. Keeping freed memory in the process
(no trimming) and serving blocks up to 32 MiB (glibc's largest ``mmap`` threshold) from
the heap leaves no faults after the first iterations. The arithmetic is the same, so
results are the same bit for bit; the peak memory of those runs was the same too (the
pages are reused, not added).

:class:`~hsjp_mmpose.experiments.ExperimentRunner` starts ``mim train`` / ``mim test``
with :data:`MALLOC_ENV` (a value the user set wins); run plain ``mim train`` with the same
variables to get the same. Other C libraries ignore them.
"""
import ctypes
import platform
from typing import Dict, MutableMapping

#: The environment variables (read by glibc when a process starts).
MALLOC_ENV: Dict[str, str] = {
    'MALLOC_TRIM_THRESHOLD_': str(2**31 - 1),  # never give the heap's top back
    'MALLOC_MMAP_THRESHOLD_': str(32 * 2**20),  # blocks up to 32 MiB from the heap
}
_MALLOPT = {'MALLOC_TRIM_THRESHOLD_': -1, 'MALLOC_MMAP_THRESHOLD_': -3}  # M_TRIM_, M_MMAP_

__all__ = ['MALLOC_ENV', 'with_malloc_env', 'apply_malloc_settings']


def with_malloc_env(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``env`` with :data:`MALLOC_ENV` added where it does not set the variable itself."""
    for key, value in MALLOC_ENV.items():
        env.setdefault(key, value)
    return env


def apply_malloc_settings() -> bool:
    """Apply :data:`MALLOC_ENV` to the running process (``mallopt``), for measurements
    made in it that must match a subprocess started with the variables. False where the
    C library is not glibc."""
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(_MALLOPT[key], int(value)) == 1 for key, value in MALLOC_ENV.items())
