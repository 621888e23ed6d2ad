"""Padding helpers shared by the backbone, the BiFPN and the heads."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .same_pad_conv import same_pad_amount


def same_conv_cfg(same_padding: bool) -> Optional[dict]:
    """Conv config giving TensorFlow ``'SAME'`` padding when asked for.

    TF pads stride-2 convs asymmetrically (the extra pixel on the right and
    bottom); weights ported from TF need that to give the same numbers.
    :class:`Conv2dSamePadding` computes those pads from the input at run time
    (stride-2 convs only; stride-1 convs pad statically).

    Args:
        same_padding (bool): Whether to use TF ``'SAME'`` padding.

    Returns:
        dict | None: ``conv_cfg`` for :class:`mmcv.cnn.ConvModule`.
    """
    return dict(type='Conv2dSamePadding') if same_padding else None


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
        # TF 'SAME' pads (before, after) with after = before or before + 1.
        # Max-pooling pads with -inf, so the extra "after" pixel is exactly
        # what ceil_mode's clipped last window does: no padded copy needed.
        pad_h = same_pad_amount(x.shape[-2], 3, 2, 1)
        pad_w = same_pad_amount(x.shape[-1], 3, 2, 1)
        return F.max_pool2d(x, kernel_size=3, stride=2,
                            padding=(pad_h // 2, pad_w // 2), ceil_mode=True)
