"""EfficientDet for MMDetection 3.x.

Importing this package registers its modules into mmdet's registries and makes
``torch.load(weights_only=True)`` accept the types that mmengine/mmdet
checkpoints hold (see :mod:`mmdet_efficientdet.checkpoint`).
"""
from . import datasets, engine, evaluation, fileio, models  # noqa: F401  (registers)
from .checkpoint import register_safe_checkpoint_loading
from .version import __version__

register_safe_checkpoint_loading()

__all__ = ['__version__']
