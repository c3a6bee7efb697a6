import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

#: Folders of the checkout that a built package carries as ``hsjp_mmpose/.mim/<name>``, as
#: MMPose's ``add_mim_extension()`` ships its own configs for ``mim``
#: (``hsjp_mmpose.config_paths`` looks there first, then in the checkout's ``configs/``).
MIM_FOLDERS = ('configs',)
MIM_PATH = os.path.join('hsjp_mmpose', '.mim')


def read_version() -> str:
    namespace = {}
    with open('hsjp_mmpose/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_requirements(path: str) -> list:
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


class BuildPyWithMim(build_py):
    """``build_py`` that also copies :data:`MIM_FOLDERS` into ``hsjp_mmpose/.mim/`` of the
    build (wheels, ``pip install .``, installs from an sdist). The copy goes to the build
    folder only, never into the checkout, so a stale copy cannot shadow ``configs/`` there;
    an editable install (``pip install -e .``) copies nothing and reads ``configs/``."""

    def _mim_files(self) -> list:
        """``(source, target)`` of every file copied; empty in editable mode."""
        if getattr(self, 'editable_mode', False):
            return []
        pairs = []
        for folder in MIM_FOLDERS:
            if not os.path.isdir(folder):
                raise FileNotFoundError(
                    f'{os.path.abspath(folder)} not found: hsjp-mmpose ships its {folder}/ '
                    f'inside the package ({MIM_PATH}/{folder}); build from a checkout, or '
                    f'from an sdist made with the MANIFEST.in beside setup.py (graft {folder})')
            for parent, dirs, files in os.walk(folder):
                dirs[:] = sorted(d for d in dirs if d != '__pycache__')
                for name in sorted(files):
                    if not name.endswith(('.pyc', '.pyo')):
                        source = os.path.join(parent, name)
                        pairs.append((source, os.path.join(self.build_lib, MIM_PATH, source)))
        return pairs

    def run(self) -> None:
        super().run()
        pairs = self._mim_files()
        if pairs:  # anew, so that a config deleted from the checkout leaves the build too
            shutil.rmtree(os.path.join(self.build_lib, MIM_PATH), ignore_errors=True)
        for source, target in pairs:
            self.mkpath(os.path.dirname(target))
            self.copy_file(source, target, preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return super().get_outputs(include_bytecode) + [t for _, t in self._mim_files()]


setup(
    name='hsjp-mmpose',
    version=read_version(),
    description='Self- and weakly-supervised pretraining for MMPose: heatmap-style '
    'jigsaw puzzles, pretraining-source comparisons, location-free pose estimation',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['hsjp_mmpose', 'hsjp_mmpose.*']),
    # configs/ -> hsjp_mmpose/.mim/configs in a built package (BuildPyWithMim; MANIFEST.in
    # puts configs/ and requirements/ into the sdist).
    cmdclass={'build_py': BuildPyWithMim},
    python_requires='>=3.8',
    # mmcv/mmdet/mmpose are installed by tools/install.sh (mmcv needs a source build with ops,
    # mmpose's declared `chumpy` does not build), so only the pure-Python needs are declared.
    install_requires=['mmengine>=0.10.0', 'mmpose>=1.3.0', 'numpy', 'scipy', 'opencv-python'],
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache License 2.0',
    zip_safe=False,
)
