"""EfficientDet detector."""
from __future__ import annotations

from typing import Tuple

import torch
from mmdet.models.detectors import SingleStageDetector
from mmdet.registry import MODELS


@MODELS.register_module()
class EfficientDet(SingleStageDetector):
    """EfficientDet: EfficientNet backbone + BiFPN neck + shared-conv heads.

    A :class:`SingleStageDetector` that also checks the input size: every side
    must be divisible by the coarsest pyramid stride (128 for P3–P7, 256 for
    D7x's P8), which the data preprocessor's ``pad_size_divisor`` guarantees.

    Args: see :class:`mmdet.models.detectors.SingleStageDetector`.
    """

    @property
    def size_divisor(self) -> int:
        """Coarsest anchor stride; input sides must be multiples of it."""
        return int(max(s[0] for s in self.bbox_head.prior_generator.strides))

    def extract_feat(self, batch_inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Backbone + BiFPN features of ``(N, 3, H, W)`` images.

        Returns:
            tuple[Tensor]: One map ``(N, W_bifpn, H / s, W / s)`` per stride ``s``.
        """
        height, width = batch_inputs.shape[-2:]
        divisor = self.size_divisor
        if height % divisor or width % divisor:
            raise ValueError(
                f'input size {int(height)}x{int(width)} is not divisible by '
                f'{divisor} (the coarsest pyramid stride); set '
                f'data_preprocessor.pad_size_divisor={divisor}')
        return super().extract_feat(batch_inputs)
