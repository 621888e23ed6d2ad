"""A config's detector as the papers count it, for measuring cost."""
from __future__ import annotations

from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from torch import nn


def build_coco_detector(config: str) -> nn.Module:
    """The model of ``config`` with 90 classes (COCO as the papers count
    it), randomly initialised (no ImageNet download), eval mode.

    Args:
        config: Path of a model config.

    Returns:
        nn.Module: The detector.
    """
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.model.bbox_head.num_classes = 90
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()
