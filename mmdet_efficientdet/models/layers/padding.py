"""Padding helpers shared by the backbone, the BiFPN and the heads."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def same_conv_cfg(same_padding: bool) -> Optional[dict]:
    """Conv config giving TensorFlow ``'SAME'`` padding when asked for.

    TF pads stride-2 convs asymmetrically (the extra pixel on the right and
    bottom); weights ported from TF need that to give the same numbers. mmcv's
    ``Conv2dAdaptivePadding`` computes those pads from the input at run time.

    Args:
        same_padding (bool): Whether to use TF ``'SAME'`` padding.

    Returns:
        dict | None: ``conv_cfg`` for :class:`mmcv.cnn.ConvModule`.
    """
    return dict(type='Conv2dAdaptivePadding') if same_padding else None


class MaxPool2dDown(nn.Module):
    """3x3 / stride-2 max pooling that halves the resolution.

    Args:
        same_padding (bool): TF ``'SAME'`` padding (pad right/bottom only) if
            True, else symmetric padding of 1. Both give ``ceil(H / 2)``.
    """

    def __init__(self, same_padding: bool = False) -> None:
        super().__init__()
        self.same_padding = same_padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Downsample ``(N, C, H, W)`` to ``(N, C, ceil(H/2), ceil(W/2))``."""
        if not self.same_padding:
            return F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
        pad_h = max((x.shape[-2] + 1) // 2 * 2 + 1 - x.shape[-2], 0)
        pad_w = max((x.shape[-1] + 1) // 2 * 2 + 1 - x.shape[-1], 0)
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2,
                      pad_h - pad_h // 2], value=float('-inf'))
        return F.max_pool2d(x, kernel_size=3, stride=2)
