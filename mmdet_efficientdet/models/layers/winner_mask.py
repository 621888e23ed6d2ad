"""Activation masks of Integral Pruning (ICLR 2019): keep the winners."""
from __future__ import annotations
import math
from typing import Optional

import torch
from torch import nn


class WinnerMask(nn.Module):
    """Zero all but the ``rate`` largest-magnitude activations of each sample.

    Integral Pruning prunes activations dynamically: per layer a *winner
    rate* (from a sensitivity check) of the largest activations is kept for
    every input, the rest set to zero, so the following layer could skip
    them. Gradients flow through the winners only (the mask is a constant
    0/1 factor). With ``rate == 1`` the module is the identity.

    Attach with :meth:`hook` as a forward hook of the layer whose output is
    masked (the module holds no parameters, so checkpoints are unchanged).

    Args:
        rate (float): Fraction of activations kept, in ``(0, 1]``.

    Attributes:
        density (float | None): Fraction of non-zero outputs in the last
            call (for the effective-MAC count).

    Example:
        >>> mask = WinnerMask(0.25)
        >>> x = torch.arange(8.).reshape(1, 2, 2, 2) - 3.5
        >>> mask(x).flatten().tolist()
        [-3.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.5]
    """

    def __init__(self, rate: float) -> None:
        super().__init__()
        if not 0 < rate <= 1:
            raise ValueError(f'winner rate {rate} must be in (0, 1]')
        self.rate = float(rate)
        self.density: Optional[float] = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mask ``(N, ...)``: per sample, keep the ``ceil(rate * numel)``
        largest |x| (ties at the threshold are kept)."""
        if self.rate >= 1:
            return x
        flat = x.detach().flatten(1).abs()
        numel = flat.shape[1]
        keep = max(1, math.ceil(self.rate * numel))
        # the keep-th largest (topk: exportable to ONNX TopK, unlike kthvalue)
        threshold = flat.topk(keep, dim=1, sorted=False).values.min(1).values
        mask = (flat >= threshold[:, None]).view_as(x).to(x.dtype)
        self.density = float(mask.mean())
        return x * mask

    def hook(self, module: nn.Module, inputs, output: torch.Tensor):
        """Forward hook: mask ``module``'s output."""
        return self(output)

    def extra_repr(self) -> str:
        return f'rate={self.rate}'
