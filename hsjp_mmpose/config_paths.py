# Copyright (c) hsjp-mmpose contributors.
"""Where the plugin's configs are: ``configs/`` of a source checkout (an editable install),
or ``hsjp_mmpose/.mim/configs`` of an installed wheel, as MMPose ships its own for ``mim``.
"""
from pathlib import Path
from typing import Union

__all__ = ['config_dir', 'config_path']

_PACKAGE = Path(__file__).resolve().parent


def config_dir() -> Path:
    """The folder holding ``_base_/``, ``hsjp/``, ``finetune/``, ...

    Raises:
        FileNotFoundError: Neither place holds the configs (a broken install).
    """
    for candidate in (_PACKAGE / '.mim' / 'configs', _PACKAGE.parent / 'configs'):
        if (candidate / '_base_').is_dir():
            return candidate
    raise FileNotFoundError(
        f'the hsjp-mmpose configs are neither in {_PACKAGE / ".mim" / "configs"} (an '
        f'installed package) nor in {_PACKAGE.parent / "configs"} (a source checkout); '
        'reinstall the package (pip install hsjp-mmpose, or pip install -e . in a checkout)')


def config_path(relative: Union[str, Path]) -> Path:
    """``relative`` (e.g. ``'hsjp/hsjp_res18-half_...py'``, or with a leading
    ``configs/``) inside :func:`config_dir`.

    Raises:
        FileNotFoundError: No such config (the message names the folder searched).
    """
    parts = Path(relative).parts
    if parts and parts[0] == 'configs':
        relative = Path(*parts[1:])
    path = config_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(f'config {relative} not found in {config_dir()}')
    return path
