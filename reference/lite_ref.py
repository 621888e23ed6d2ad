"""Dev-only: the EfficientNet-Lite reference model (``efficientnet_lite_pytorch``,
lukemelas layout) that the registry's Lite0-2 ImageNet weights were made for.

Installed into ``.refenv/`` by ``make refenv`` (``requirements/reference.txt``);
tests use it to check that our converted backbone plus the checkpoint's own
classifier reproduce the reference ImageNet logits. The product never imports
it.
"""
from __future__ import annotations
import os.path as osp
import sys

import torch
from torch import nn

from .effdet_ref import REFENV


def lite_refenv_available() -> bool:
    """Whether ``.refenv`` holds ``efficientnet_lite_pytorch``."""
    return osp.isdir(osp.join(REFENV, 'efficientnet_lite_pytorch'))


def lite_reference_model(arch: str, state_dict: dict) -> nn.Module:
    """The reference ``EfficientNet`` for ``arch`` (``'lite0'`` …), with
    ``state_dict`` loaded (strict), in eval mode."""
    if REFENV not in sys.path:
        sys.path.append(REFENV)
    from efficientnet_lite_pytorch import EfficientNet
    model = EfficientNet.from_name(f'efficientnet-{arch}')
    model.load_state_dict(state_dict, strict=True)
    return model.eval()


def classifier_logits(reference: nn.Module, features: torch.Tensor) -> torch.Tensor:
    """The reference's classifier (head conv, BN, ReLU6, pooling, fc) on
    last-stage features ``(N, C, H, W)``: logits ``(N, 1000)``."""
    x = reference._swish(reference._bn1(reference._conv_head(features)))
    return reference._fc(torch.flatten(reference._avg_pooling(x), 1))
