"""BatchNorm that trains on any batch, a single value per channel included."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import nn


@MODELS.register_module('EffDetBN')
class EffDetBatchNorm2d(nn.BatchNorm2d):
    """:class:`~torch.nn.BatchNorm2d` that normalises a training batch
    holding one value per channel with its running statistics.

    At a small input the coarsest pyramid level is 1x1 (P7 at 128 px), so a
    batch of one image (the last batch of an epoch, a dataset of 7 images at
    batch 2) gives the neck's and head's BN one value per channel, where
    batch statistics do not exist and :class:`~torch.nn.BatchNorm2d` raises
    ``Expected more than 1 value per channel when training``. Such a call
    normalises as in eval (running mean/var, affine parameters still
    trained) and leaves the running statistics unchanged; every other call
    is exactly :class:`~torch.nn.BatchNorm2d`. Parameters, buffers and
    checkpoints are those of :class:`~torch.nn.BatchNorm2d`, and
    :func:`mmcv.cnn.build_norm_layer` names it ``bn`` as it does ``BN``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``(N, C, H, W)`` ``x``; ``N * H * W == 1`` while
        training uses the running statistics."""
        if self.training and x.numel() == x.shape[1] and self.track_running_stats:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        return super().forward(x)
