"""Unstructured magnitude pruning (weight masks) and its effective cost.

The baseline of Scalpel's argument: zeros inside dense weight tensors cut the
multiply-adds *on paper* but dense CPU kernels still execute them.
"""
from __future__ import annotations
from typing import List

import torch
from torch import nn


def prunable_weights(detector: nn.Module) -> List[torch.Tensor]:
    """Conv kernels that magnitude pruning may zero: every conv except the
    class/box prediction outputs (``*_pred.pointwise_conv``)."""
    return [
        m.weight for name, m in detector.named_modules()
        if isinstance(m, nn.Conv2d) and not ('_pred.' in name and name.endswith(
            'pointwise_conv.conv') or name.endswith('_pred.pointwise_conv'))
    ]


@torch.no_grad()
def magnitude_prune_(detector: nn.Module, num_zeros: int) -> int:
    """Zero the ``num_zeros`` smallest-magnitude conv weights, globally
    (:func:`prunable_weights`), in place.

    Returns:
        int: Weights now zero in those kernels.
    """
    weights = prunable_weights(detector)
    flat = torch.cat([w.detach().abs().flatten() for w in weights])
    if not 0 <= num_zeros < flat.numel():
        raise ValueError(f'num_zeros={num_zeros} must be in [0, '
                         f'{flat.numel()})')
    if num_zeros:
        threshold = torch.kthvalue(flat, num_zeros).values
        for w in weights:
            w.masked_fill_(w.abs() <= threshold, 0.0)
    return int(sum(int((w == 0).sum()) for w in weights))
