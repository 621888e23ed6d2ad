"""Weighted fusion of same-shaped feature maps (BiFPN Sec. 3.3)."""
from __future__ import annotations
from typing import Sequence

import torch
from torch import nn

FUSION_MODES = ('fast', 'softmax', 'sum')


class WeightedFusion(nn.Module):
    """Fuse ``n`` feature maps of one shape with learnable non-negative weights.

    * ``'fast'``: fast normalized fusion
      ``O = sum_i relu(w_i) * I_i / (eps + sum_j relu(w_j))``;
    * ``'softmax'``: softmax-based fusion ``O = sum_i softmax(w)_i * I_i``;
    * ``'sum'``: plain sum, no weights (EfficientDet-D6/D7).

    Args:
        num_inputs (int): Number of maps to fuse (>= 2).
        mode (str): One of :data:`FUSION_MODES`. Defaults to ``'fast'``.
        eps (float): ``epsilon`` of fast fusion. Defaults to 1e-4.
    """

    def __init__(self, num_inputs: int, mode: str = 'fast', eps: float = 1e-4) -> None:
        super().__init__()
        if mode not in FUSION_MODES:
            raise ValueError(f'fusion mode {mode!r} is not one of '
                             f'{FUSION_MODES}')
        if num_inputs < 2:
            raise ValueError(f'num_inputs={num_inputs}: fusion needs >= 2')
        self.mode = mode
        self.eps = eps
        self.num_inputs = num_inputs
        if mode == 'sum':
            self.register_parameter('weight', None)
        else:
            self.weight = nn.Parameter(torch.ones(num_inputs))

    def normalized_weights(self) -> torch.Tensor:
        """The ``(num_inputs,)`` weights applied to the inputs."""
        if self.mode == 'fast':
            weight = self.weight.relu()
            return weight / (weight.sum() + self.eps)
        if self.mode == 'softmax':
            return self.weight.softmax(dim=0)
        return self.weight.new_ones(self.num_inputs) if self.weight is not None \
            else torch.ones(self.num_inputs)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Fuse ``num_inputs`` tensors of shape ``(N, C, H, W)`` into one."""
        if len(inputs) != self.num_inputs:
            raise ValueError(f'expected {self.num_inputs} inputs, got '
                             f'{len(inputs)}')
        if self.mode == 'sum':
            out = inputs[0]
            for x in inputs[1:]:
                out = out + x
            return out
        return self.fuse(inputs, self.normalized_weights().to(inputs[0].dtype))

    @staticmethod
    def fuse(inputs: Sequence[torch.Tensor], weights: torch.Tensor) -> torch.Tensor:
        """``sum_i weights[i] * inputs[i]``.

        Args:
            inputs: ``n`` maps of shape ``(N, C, H, W)``.
            weights: ``(n,)`` (eager) or ``(n, 1, 1, 1, 1)`` (an exporter
                that wants each factor laid out like the maps, e.g.
                ExecuTorch's XNNPACK layout pass, which rejects 0-d
                operands).

        Returns:
            The fused ``(N, C, H, W)`` map.
        """
        out = inputs[0] * weights[0]
        for i in range(1, len(inputs)):
            out = out + inputs[i] * weights[i]
        return out

    def extra_repr(self) -> str:
        return f'num_inputs={self.num_inputs}, mode={self.mode!r}, eps={self.eps}'
