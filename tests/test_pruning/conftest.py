"""A D0 with random weights and BN statistics away from (0, 1), so pruned
channels matter."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from ..conftest import D0_CONFIG


@pytest.fixture(scope='module')
def d0():
    cfg = Config.fromfile(D0_CONFIG)
    cfg.model.backbone.init_cfg = None
    cfg.model.bbox_head.num_classes = 3
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # BN statistics away from (0, 1), so pruned channels matter
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.2, 1.5)
    return cfg, model.eval()
