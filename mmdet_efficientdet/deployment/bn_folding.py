"""Folding eval-mode BatchNorm into the preceding conv (inference only).

Not mmcv's ``fuse_conv_bn``: this folds in float64 and leaves the head's
shared-conv + per-level-BN pattern alone."""
from __future__ import annotations

import torch
from torch import nn


def fold_bn_into_convs(module: nn.Module) -> nn.Module:
    """Fold every eval-mode BN that directly follows a conv into the conv.

    Works on mmcv ``ConvModule`` (``conv`` + ``bn``) and on our head's
    shared-conv + per-level-BN pattern is left alone (one conv, many BNs).
    Returns the module (modified in place), for inference only.
    """
    from mmcv.cnn import ConvModule
    for child in module.modules():
        if isinstance(child, ConvModule) and child.with_norm and isinstance(
                child.norm, nn.BatchNorm2d) and isinstance(child.conv, nn.Conv2d):
            conv, bn = child.conv, child.norm
            with torch.no_grad():  # in float64, so folding adds no rounding
                scale = bn.weight.double() / (bn.running_var.double() + bn.eps).sqrt()
                weight = conv.weight.double() * scale.reshape(-1, 1, 1, 1)
                conv.weight.copy_(weight.to(conv.weight.dtype))
                bias = (conv.bias.double() if conv.bias is not None else torch.zeros_like(scale))
                new_bias = (bias - bn.running_mean.double()) * scale + \
                    bn.bias.double()
            conv.bias = nn.Parameter(new_bias.to(conv.weight.dtype))
            setattr(child, child.norm_name, nn.Identity())
    return module
