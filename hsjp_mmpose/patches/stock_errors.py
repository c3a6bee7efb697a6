# Copyright (c) hsjp-mmpose contributors.
"""The rule every patch follows when it replaces an error: the type callers catch stays.

A patch that turns a stock error into a clearer one raises it with
:func:`raise_in_place_of`, which raises the new error only when it is an instance of the
stock error's type (each new error class also derives from the types stock MMPose / mmengine
raised in its case, e.g. ``ImageLoadError`` from ``OSError``, ``AssertionError`` and
``cv2.error``). In a case no new class covers (a stock type the patch did not foresee), the
stock error itself is raised again with the new message attached as a note (PEP 678: shown
under the traceback), so ``except <stock type>`` keeps working whatever happens.

Every new error class can be rebuilt from its message alone: a DataLoader worker sends the
main process the class and the formatted traceback, and the main process raises
``cls(message)``.
"""
from typing import NoReturn

__all__ = ['raise_in_place_of']


def raise_in_place_of(new: BaseException, stock: BaseException) -> NoReturn:
    """Raise ``new`` (chained to ``stock``) if it is an instance of ``type(stock)``;
    otherwise re-raise ``stock`` with ``str(new)`` added as a note. Call it in the
    ``except`` block that caught ``stock``."""
    if isinstance(new, type(stock)):
        raise new from stock
    stock.add_note(f'hsjp_mmpose: {new}')
    raise stock
