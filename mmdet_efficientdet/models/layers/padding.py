"""TensorFlow ``'SAME'`` padding: the one home of its rules.

TF pads a conv/pool so that the output has ``ceil(size / stride)`` pixels,
splitting the total padding ``before = total // 2``, ``after = total -
before`` (the extra pixel goes right/bottom). :class:`Conv2dSamePadding`
(``same_pad_conv.py``), :class:`MaxPool2dDown` and :func:`same_conv_cfg`
all take their pads from :func:`same_pads`.
"""
from __future__ import annotations
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn


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
    costs as much as the conv it feeds. When traced (ONNX export) or
    exported (``torch.export``: ExecuTorch) this is ``F.pad``, one pad node.

    Example:
        >>> x = torch.ones(1, 2, 3, 3)
        >>> torch.equal(fast_zero_pad(x, (0, 1, 0, 1)), F.pad(x, [0, 1, 0, 1]))
        True
    """
    left, right, top, bottom = pads
    if (torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling()
            or x.requires_grad):
        return F.pad(x, [left, right, top, bottom])
    n, c, h, w = x.shape
    layout = (
        torch.channels_last if x.is_contiguous(memory_format=torch.channels_last)
        and not x.is_contiguous() else torch.contiguous_format)
    out = torch.empty((n, c, h + top + bottom, w + left + right),
                      dtype=x.dtype,
                      device=x.device,
                      memory_format=layout)
    out[:, :, top:top + h, left:left + w] = x
    for rows in (slice(0, top), slice(top + h, None)):
        out[:, :, rows, :].zero_()
    for cols in (slice(0, left), slice(left + w, None)):
        out[:, :, top:top + h, cols].zero_()
    return out


def same_pads(size: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
              dilation: Sequence[int]) -> Tuple[int, int, int, int]:
    """TF ``'SAME'`` pads ``(left, right, top, bottom)`` of an ``(H, W)`` input.

    Example:
        >>> same_pads((64, 65), (3, 3), (2, 2), (1, 1))
        (1, 1, 0, 1)
    """
    pad_h = same_pad_amount(size[0], kernel[0], stride[0], dilation[0])
    pad_w = same_pad_amount(size[1], kernel[1], stride[1], dilation[1])
    return pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2


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
        left, right, top, bottom = same_pads(x.shape[-2:], (3, 3), (2, 2), (1, 1))
        if torch.jit.is_tracing():
            # exported graphs: an explicit -inf pad (OpenVINO rejects a
            # ceil-mode window larger than a 2x2 map, e.g. P6 at 128 input);
            # export_onnx folds it into the MaxPool's asymmetric pads
            x = F.pad(x, [left, right, top, bottom], value=float('-inf'))
            return F.max_pool2d(x, kernel_size=3, stride=2)
        return F.max_pool2d(x, kernel_size=3, stride=2, padding=(top, left), ceil_mode=True)
