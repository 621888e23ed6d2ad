"""mmdet-efficientdet: EfficientDet D0–D7x as an MMDetection 3.x plugin.

Two ways to install:

* the README's `make` targets create `.venv/`, install the exact pinned stack
  from `requirements/` (mmcv 2.1.0 built with its ops) and then this package in
  editable mode with `--no-deps`;
* into an existing MMDetection 3.x environment: `pip install -e .` -- the
  ranges below accept the torch/mmcv/mmdet already there, so nothing of the
  stack is replaced.
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
    license='Apache-2.0',
    version=read_version(),
    description='EfficientDet D0-D7x for MMDetection 3.x',
    packages=find_packages(include=['mmdet_efficientdet', 'mmdet_efficientdet.*']),
    python_requires='>=3.8',
    # Compatible ranges, for installing into an existing MMDetection
    # environment; the exact, tested pins are in requirements/ (our own set-up
    # installs this package with --no-deps). torch >= 2.5: safe checkpoint
    # loading uses torch.serialization.get_unsafe_globals_in_checkpoint.
    # mmdet 3.x refuses mmcv >= 2.2.
    install_requires=[
        'torch>=2.5',
        'mmengine>=0.10.0,<1.0.0',
        'mmcv>=2.0.0,<2.2.0',
        'mmdet>=3.3.0,<4.0.0',
    ],
    extras_require={
        # ONNX export and its check (tools/deployment/export_onnx.py)
        'deploy': ['onnx', 'onnxscript', 'onnxruntime', 'openvino>=2024', 'nncf>=2.10'],
        # channel pruning (tools/pruning/prune.py): Torch-Pruning's DepGraph
        'pruning': ['torch-pruning>=1.6,<2', 'onnxruntime'],
    },
    zip_safe=False,
)
