"""Batch-norm statistics of a sub-network running on shared supernet weights."""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def recalibrate_bn(model: nn.Module, batches) -> None:
    """Re-estimate every BatchNorm's running statistics of the active
    sub-network: statistics reset, then the cumulative average over
    ``batches`` (preprocessed training-mode forwards, no gradient), as
    Once-for-All does before scoring a sub-network with shared weights.

    Args:
        model: A detector (left in eval mode).
        batches: Data batches of the model's dataloader (``dict(inputs=...,
            data_samples=...)``).
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for module in norms:
        module.reset_running_stats()
        module.momentum = None
    model.eval()  # drop-path and dropout stay off
    for module in norms:
        module.train()
    try:
        for data in batches:
            data = model.data_preprocessor(data, False)
            model._forward(data['inputs'])
    finally:
        for module, momentum in zip(norms, momenta):
            module.momentum = momentum
        model.eval()
