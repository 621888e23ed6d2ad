"""Folding eval-mode BatchNorm into the preceding conv (inference only).

Not mmcv's ``fuse_conv_bn``: this folds in float64 and leaves the head's
shared-conv + per-level-BN pattern alone."""
from __future__ import annotations

import torch
from mmcv.cnn import ConvModule
from torch import nn


def fold_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold eval-mode ``bn`` into ``conv`` (in place, in float64, so folding
    adds no rounding): ``conv`` then computes ``bn(conv(x))``."""
    with torch.no_grad():
        scale = bn.weight.double() / (bn.running_var.double() + bn.eps).sqrt()
        weight = conv.weight.double() * scale.reshape(-1, 1, 1, 1)
        conv.weight.copy_(weight.to(conv.weight.dtype))
        bias = (conv.bias.double() if conv.bias is not None else torch.zeros_like(scale))
        new_bias = (bias - bn.running_mean.double()) * scale + bn.bias.double()
    conv.bias = nn.Parameter(new_bias.to(conv.weight.dtype))


def fold_bn_into_convs(module: nn.Module) -> nn.Module:
    """Fold every eval-mode BN that directly follows a conv into the conv.

    Works on mmcv ``ConvModule`` (``conv`` + ``bn``); our head's
    shared-conv + per-level-BN pattern is left alone (one conv, many BNs;
    :mod:`.unshared_head` makes per-level copies where a runtime needs them).
    Returns the module (modified in place), for inference only.
    """
    for child in module.modules():
        if isinstance(child, ConvModule) and child.with_norm and isinstance(
                child.norm, nn.BatchNorm2d) and isinstance(child.conv, nn.Conv2d):
            fold_bn(child.conv, child.norm)
            setattr(child, child.norm_name, nn.Identity())
    return module
