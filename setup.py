from setuptools import find_packages, setup


def read_version() -> str:
    namespace = {}
    with open('hsjp_mmpose/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_requirements(path: str) -> list:
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='hsjp-mmpose',
    version=read_version(),
    description='Self- and weakly-supervised pretraining for MMPose: heatmap-style '
    'jigsaw puzzles, pretraining-source comparisons, location-free pose estimation',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['hsjp_mmpose', 'hsjp_mmpose.*']),
    python_requires='>=3.8',
    # mmcv/mmdet/mmpose are installed by tools/install.sh (mmcv needs a source build with ops,
    # mmpose's declared `chumpy` does not build), so only the pure-Python needs are declared.
    install_requires=['mmengine>=0.10.0', 'mmpose>=1.3.0', 'numpy', 'scipy', 'opencv-python'],
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache License 2.0',
    zip_safe=False,
)
