"""Conv2d with TensorFlow ``'SAME'`` padding, static wherever it can be."""
from __future__ import annotations
from typing import Tuple, Union

import torch
from mmengine.registry import MODELS
from torch import nn

from .padding import fast_zero_pad, same_pads

IntPair = Union[int, Tuple[int, int]]


# registered in mmengine's root registry, where mmcv's ``build_conv_layer``
# looks (as for mmcv's own ``Conv2dAdaptivePadding``); mmdet's scope sees it
@MODELS.register_module()
class Conv2dSamePadding(nn.Conv2d):
    """``nn.Conv2d`` with TF ``'SAME'`` padding, for TF-ported weights.

    Same numbers and state-dict keys as mmcv's ``Conv2dAdaptivePadding``, but
    where ``'SAME'`` is symmetric for every input size (stride 1 and an even
    ``dilation * (kernel - 1)``: all stride-1 convs of EfficientDet) it is the
    conv's own padding, with no per-call ``F.pad`` copy. Only strided convs
    compute an asymmetric pad (extra pixel right/bottom) from the input.

    Args: as :class:`torch.nn.Conv2d`; ``padding`` is ignored (always
        ``'SAME'``).

    Example:
        >>> conv = Conv2dSamePadding(4, 4, 3)
        >>> conv.static_same, conv.padding
        (True, (1, 1))
        >>> tuple(Conv2dSamePadding(4, 8, 3, stride=2)(torch.rand(1, 4, 9, 8)).shape)
        (1, 8, 5, 4)
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: IntPair,
                 stride: IntPair = 1,
                 padding: IntPair = 0,
                 dilation: IntPair = 1,
                 groups: int = 1,
                 bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias)
        spans = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
        self.static_same = all(s == 1 for s in self.stride) and all(span % 2 == 0 for span in spans)
        if self.static_same:
            self.padding = tuple(span // 2 for span in spans)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve ``(N, C_in, H, W)`` to ``(N, C_out, ceil(H/s), ceil(W/s))``."""
        if not self.static_same:
            pads = same_pads(x.shape[-2:], self.kernel_size, self.stride, self.dilation)
            if any(pads):
                x = fast_zero_pad(x, pads)
        return super().forward(x)
