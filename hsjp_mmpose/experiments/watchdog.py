# Copyright (c) hsjp-mmpose contributors.
"""Run a command that ends, with every process it started, when the experiment that
started it ends, even by SIGKILL (a time limit's hard kill, the OOM killer).

``mim train`` starts ``python tools/train.py`` (and that may start data workers): a
parent-death signal set in ``mim`` alone would leave its own child training. So
:class:`~hsjp_mmpose.experiments.ExperimentRunner` starts every command through this
script, in a new session (process group) of which the watchdog is the leader::

    python -I watchdog.py PARENT_PID -- mim train mmpose CONFIG ...

The watchdog asks the kernel for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``
on Linux) and also checks its parent every half second (elsewhere, and in case the parent
died before the request). When the parent is gone, or on SIGTERM, SIGINT or SIGHUP, it
sends SIGTERM to its whole process group, gives the command ``GRACE_S`` seconds, then
SIGKILL. Otherwise it exits with the command's exit status. Standard library only, run by
path (``-I``): it does not import the package (or torch).
"""
import os
import signal
import subprocess
import sys
import time
from typing import Optional

#: Seconds the command gets to end after SIGTERM before the group is killed.
GRACE_S = 10.
#: Seconds between two checks of the parent.
POLL_S = 0.5
PR_SET_PDEATHSIG = 1


class _Stop(Exception):
    """The command must stop (a signal, or the parent is gone)."""


def request_parent_death_signal(signum: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies; False where
    that is not available."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _raise_stop(signum, frame):
    raise _Stop(f'signal {signum}')


def _stop_group(child: Optional[subprocess.Popen]) -> None:
    """SIGTERM to the watchdog's process group (the command and its children), SIGKILL to
    what is left after ``GRACE_S``; the watchdog itself ends with the SIGKILL."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    group = os.getpgrp()
    assert group == os.getpid(), 'the watchdog leads its own process group'
    os.killpg(group, signal.SIGTERM)
    if child is not None:
        try:
            child.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    time.sleep(0.2)  # the command's own children (tools/train.py) end with it
    os.killpg(group, signal.SIGKILL)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[1] != '--':
        print('usage: watchdog.py PARENT_PID -- COMMAND [ARG ...]', file=sys.stderr)
        return 2
    parent, command = int(argv[0]), argv[2:]
    if os.getpgrp() != os.getpid():  # lead a process group of our own
        os.setpgid(0, 0)
    request_parent_death_signal(signal.SIGTERM)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    child = None
    try:
        if os.getppid() != parent:  # the parent died before the request took effect
            raise _Stop('parent gone')
        child = subprocess.Popen(command)
        while True:
            try:
                code = child.wait(timeout=POLL_S)
                return code if code >= 0 else 128 - code
            except subprocess.TimeoutExpired:
                pass
            if os.getppid() != parent:
                raise _Stop('parent gone')
    except _Stop:
        _stop_group(child)  # also when the signal came while the command was starting
        return 143


if __name__ == '__main__':
    sys.exit(main())
