"""Import every package the project needs and print its version.

Exits non-zero, naming the package and the fix, when one of them is broken.
"""
import argparse
import importlib
import importlib.metadata
import sys
import warnings

CHECKS = [
    # (module to import, distribution whose version is reported, what to do when it fails)
    ('torch', 'torch', 'reinstall with: make install'),
    ('torchvision', 'torchvision',
     'torchvision 0.28.0 needs the package index\'s torch==2.13.0 build, not a local '
     '"+cpu" wheel. Run: .venv/bin/pip uninstall -y torch torchvision && make install'),
    ('mmengine', 'mmengine', 'run: make install'),
    ('mmcv._ext', 'mmcv',
     'mmcv lacks its compiled ops. Run: .venv/bin/pip uninstall -y mmcv mmcv-lite && '
     'pip cache remove mmcv && make install'),
    ('mmdet', 'mmdet', 'run: make install'),
    ('mmpose.models', 'mmpose', 'run: make install (mmpose.models needs mmcv with ops)'),
    ('xtcocotools.coco', 'xtcocotools',
     'rebuild from source: .venv/bin/pip install --force-reinstall --no-deps '
     '--no-build-isolation --no-binary=xtcocotools xtcocotools==1.14.3'),
    ('pycocotools.coco', 'pycocotools', 'run: make install'),
    ('mim', 'openmim', 'run: make install (openmim gives `mim train` / `mim test`)'),
    ('hsjp_mmpose', 'hsjp-mmpose', 'install the plugin: .venv/bin/pip install -e .'),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--quiet', action='store_true', help='print only failures')
    args = parser.parse_args()
    failed = 0
    for module, package, fix in CHECKS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                importlib.import_module(module)
            version = importlib.metadata.version(package)
            if not args.quiet:
                print(f'  ok  {package:<12} {version}')
        except Exception as exc:  # noqa: BLE001 - report any import failure
            failed += 1
            print(f'  FAIL {package:<12} import {module}: {type(exc).__name__}: {exc}\n'
                  f'       fix: {fix}', file=sys.stderr)
    if failed and not args.quiet:
        print(f'{failed} package(s) failed the self-check.', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
