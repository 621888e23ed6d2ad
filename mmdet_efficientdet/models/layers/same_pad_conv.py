"""Conv2d with TensorFlow ``'SAME'`` padding, static wherever it can be."""
from __future__ import annotations

from typing import Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.registry import MODELS
from torch import nn

IntPair = Union[int, Tuple[int, int]]


def same_pad_amount(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Total TF ``'SAME'`` padding of one spatial dim (before/after split
    ``total // 2`` / ``total - total // 2``).

    ``size`` is read as a Python int: when traced (ONNX export at a fixed
    input size) the pads become constants, which lets ONNX Runtime fold them
    instead of computing them from ``Shape`` ops on every run.

    Example:
        >>> same_pad_amount(64, 3, 2, 1), same_pad_amount(65, 3, 2, 1)
        (1, 2)
    """
    size = int(size)
    out = -(-size // stride)
    return max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)


def fast_zero_pad(x: torch.Tensor, pads: Tuple[int, int, int, int]) -> torch.Tensor:
    """Zero-pad ``(N, C, H, W)`` by ``(left, right, top, bottom)`` like
    ``F.pad``, keeping the memory format and writing zeros only to the border.

    ``F.pad`` first fills the whole new tensor and then copies the input over
    it; on the large early feature maps of a channels-last network that fill
    costs as much as the conv it feeds. When traced (ONNX export) this is
    ``F.pad``, a single ``Pad`` node.

    Example:
        >>> x = torch.ones(1, 2, 3, 3)
        >>> torch.equal(fast_zero_pad(x, (0, 1, 0, 1)), F.pad(x, [0, 1, 0, 1]))
        True
    """
    left, right, top, bottom = pads
    if torch.jit.is_tracing() or torch.jit.is_scripting() or x.requires_grad:
        return F.pad(x, [left, right, top, bottom])
    n, c, h, w = x.shape
    layout = (torch.channels_last
              if x.is_contiguous(memory_format=torch.channels_last)
              and not x.is_contiguous() else torch.contiguous_format)
    out = torch.empty((n, c, h + top + bottom, w + left + right),
                      dtype=x.dtype, device=x.device, memory_format=layout)
    out[:, :, top:top + h, left:left + w] = x
    for rows in (slice(0, top), slice(top + h, None)):
        out[:, :, rows, :].zero_()
    for cols in (slice(0, left), slice(left + w, None)):
        out[:, :, top:top + h, cols].zero_()
    return out


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
        super().__init__(in_channels, out_channels, kernel_size, stride, 0,
                         dilation, groups, bias)
        spans = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
        self.static_same = all(s == 1 for s in self.stride) and all(
            span % 2 == 0 for span in spans)
        if self.static_same:
            self.padding = tuple(span // 2 for span in spans)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve ``(N, C_in, H, W)`` to ``(N, C_out, ceil(H/s), ceil(W/s))``."""
        if not self.static_same:
            pad_h = same_pad_amount(x.shape[-2], self.kernel_size[0],
                                    self.stride[0], self.dilation[0])
            pad_w = same_pad_amount(x.shape[-1], self.kernel_size[1],
                                    self.stride[1], self.dilation[1])
            if pad_h or pad_w:
                x = fast_zero_pad(x, (pad_w // 2, pad_w - pad_w // 2,
                                         pad_h // 2, pad_h - pad_h // 2))
        return super().forward(x)
