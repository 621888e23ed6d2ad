"""Mixed precision on a CPU: bf16 autocast where the CPU computes bf16."""
from __future__ import annotations
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from torch import nn


@OPTIM_WRAPPERS.register_module()
class CpuBf16OptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` whose forward and loss run under CPU bf16 autocast.

    mmengine's ``AmpOptimWrapper`` is GPU/NPU/MLU only (fp16 with a loss
    scale). On a CPU with AVX-512 BF16 or AMX, ``torch.autocast('cpu',
    dtype=torch.bfloat16)`` runs convolutions and matrix products in bf16
    with fp32 accumulation; bf16 has fp32's exponent range, so no loss
    scaling is needed. Parameters, gradients, optimizer state and
    checkpoints stay fp32. ``tools/train.py --amp`` selects it on such a CPU
    (:func:`~mmdet_efficientdet.engine.amp.amp_optim_wrapper_type`).
    """

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-accumulation context of :class:`OptimWrapper`, inside
        CPU bf16 autocast."""
        with super().optim_context(model), \
                torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            yield
