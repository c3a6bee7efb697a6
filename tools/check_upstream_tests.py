# Copyright (c) hsjp-mmpose contributors.
"""Run MMPose's own unit tests plain and with hsjp_mmpose imported first; compare outcomes.

Example (an MMPose checkout at tag v1.3.2, e.g. ``git clone --branch v1.3.2
https://github.com/open-mmlab/mmpose /tmp/mmpose-src``)::

    python tools/check_upstream_tests.py --mmpose-src /tmp/mmpose-src

Prints the passed / failed / skipped / error counts of both runs and every test whose
outcome differs; exits with 1 when any differs (2 when the runs could not be made). See
:mod:`hsjp_mmpose.patches.upstream_tests`.
"""
import sys

from hsjp_mmpose.patches.upstream_tests import main

if __name__ == '__main__':
    sys.exit(main())
