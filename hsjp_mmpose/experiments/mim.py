# Copyright (c) hsjp-mmpose contributors.
"""Finding the ``mim`` command that belongs to the running interpreter."""
import sys
from pathlib import Path


def mim_executable() -> str:
    """The ``mim`` installed beside ``sys.executable`` (e.g. ``.venv/bin/mim``), so that
    ``mim train`` runs in the same environment; plain ``mim`` from PATH otherwise."""
    candidate = Path(sys.executable).parent / 'mim'
    return str(candidate) if candidate.exists() else 'mim'
