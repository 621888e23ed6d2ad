"""Build a trained detector from a config and a checkpoint (for tools)."""
from __future__ import annotations
import os.path as osp
from typing import Optional, Tuple


def load_trained(config: str, checkpoint: Optional[str]) -> Tuple[object, object]:
    """The config and its model with every weight from ``checkpoint``.

    The backbone's ``init_cfg`` is dropped (no ImageNet download: the
    checkpoint holds every weight), the weights load strictly (our
    checkpoint-shape check names a model of another config), and the model
    is in eval mode. Without a checkpoint the model keeps its random
    initialisation (``init_weights``; e.g. to export or time a level).

    Raises:
        FileNotFoundError: ``config`` or ``checkpoint`` is missing.

    Returns:
        tuple: ``(Config, EfficientDet)``.
    """
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    for path in (config, checkpoint):
        if path is not None and not osp.isfile(path):
            raise FileNotFoundError(f'{path!r} not found')
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    if checkpoint is None:
        model.init_weights()
    else:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    return cfg, model.eval()
