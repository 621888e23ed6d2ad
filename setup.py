"""mmdet-efficientdet: EfficientDet D0–D7x as an MMDetection 3.x plugin.

Install through the README's `make` targets: they create `.venv/`, install the
pinned stack from `requirements/` (mmcv 2.1.0 built with its ops) and then this
package in editable mode with `--no-deps`.
"""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    scope: dict = {}
    with open(osp.join('mmdet_efficientdet', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmdet-efficientdet',
    version=read_version(),
    description='EfficientDet D0-D7x for MMDetection 3.x',
    packages=find_packages(include=['mmdet_efficientdet', 'mmdet_efficientdet.*']),
    python_requires='>=3.8',
    # Exact pins only: a torch range pulls GBs of CUDA wheels; mmdet 3.3.0
    # refuses mmcv >= 2.2. See requirements/ for the full stack.
    install_requires=[
        'torch==2.13.0',
        'mmengine>=0.10.0,<0.11.0',
        'mmcv==2.1.0',
        'mmdet==3.3.0',
    ],
    zip_safe=False,
)
