"""EfficientDet detector."""
from __future__ import annotations

from typing import Tuple

import torch
from mmdet.models.detectors import SingleStageDetector
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig


@MODELS.register_module()
class EfficientDet(SingleStageDetector):
    """EfficientDet: EfficientNet backbone + BiFPN neck + shared-conv heads.

    A :class:`SingleStageDetector` that also checks the input size: every side
    must be divisible by the coarsest pyramid stride (128 for P3–P7, 256 for
    D7x's P8), which the data preprocessor's ``pad_size_divisor`` guarantees.

    Args:
        backbone, neck, bbox_head, train_cfg, test_cfg, data_preprocessor,
            init_cfg: as :class:`mmdet.models.detectors.SingleStageDetector`.
        channels_last (bool): Run the network on channels-last
            (``torch.channels_last``, NHWC) tensors: the images are converted
            on entry and the conv weights are stored NHWC. Values are the same
            (to float rounding) and checkpoints are unchanged, but CPU
            depthwise convs are much faster this way, in training and
            inference alike. Defaults to True.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 channels_last: bool = True) -> None:
        super().__init__(backbone=backbone, neck=neck, bbox_head=bbox_head,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        """Initialise (or load ``Pretrained``) weights, keeping the layout."""
        super().init_weights()
        if self.channels_last:  # a loaded checkpoint may replace parameters
            self.to(memory_format=torch.channels_last)

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
        if self.channels_last:
            batch_inputs = batch_inputs.contiguous(
                memory_format=torch.channels_last)
        return super().extract_feat(batch_inputs)
