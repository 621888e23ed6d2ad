"""What ``--amp`` means on the machine a run is on."""
from __future__ import annotations
from typing import FrozenSet, Optional

from ..errors import UserError

#: CPU flags whose presence makes bf16 autocast fast (native bf16 dot products).
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


def has_accelerator() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here (CUDA, NPU, MLU,
    MUSA): mmengine's own device test."""
    from mmengine.device import get_device
    return get_device() != 'cpu'


def amp_optim_wrapper_type(accelerator: Optional[bool] = None,
                           flags: Optional[FrozenSet[str]] = None) -> str:
    """The optimizer wrapper ``--amp`` selects.

    ``'AmpOptimWrapper'`` (mmdet's fp16 AMP, dynamic loss scale) with a GPU;
    ``'CpuBf16OptimWrapper'`` on a CPU with AVX-512 BF16 or AMX.

    Raises:
        UserError: neither: one line saying what ``--amp`` needs.
    """
    from ..utils.cpu_isa import cpu_flags, cpu_model
    if has_accelerator() if accelerator is None else accelerator:
        return 'AmpOptimWrapper'
    flags = cpu_flags() if flags is None else flags
    if flags & set(BF16_FLAGS):
        return 'CpuBf16OptimWrapper'
    raise UserError(f'--amp needs a GPU (fp16 AMP) or a CPU with AVX-512 BF16 or AMX (bf16 '
                    f'autocast); this machine has no GPU and its CPU ({cpu_model()}) has '
                    f'neither: train without --amp')


def apply_amp(cfg,
              accelerator: Optional[bool] = None,
              flags: Optional[FrozenSet[str]] = None) -> str:
    """Set ``cfg.optim_wrapper`` for ``--amp``; returns the wrapper type."""
    kind = amp_optim_wrapper_type(accelerator, flags)
    cfg.optim_wrapper.type = kind
    if kind == 'AmpOptimWrapper':
        cfg.optim_wrapper.loss_scale = 'dynamic'
    return kind
