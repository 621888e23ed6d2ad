"""What ``--amp`` means on the machine a run is on."""
from __future__ import annotations
import copy
import statistics
from typing import FrozenSet, Optional

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.device import get_device
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from ..errors import UserError
from ..utils.config_loader import load_config
from ..utils.cpu_isa import cpu_flags, cpu_model
from ..utils.timing import timed

#: CPU flags whose presence makes bf16 autocast fast (native bf16 dot products).
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


def has_accelerator() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here (CUDA, NPU, MLU,
    MUSA): mmengine's own device test."""
    return get_device() != 'cpu'


def amp_optim_wrapper_type(accelerator: Optional[bool] = None,
                           flags: Optional[FrozenSet[str]] = None) -> str:
    """The optimizer wrapper ``--amp`` selects.

    ``'AmpOptimWrapper'`` (mmdet's fp16 AMP, dynamic loss scale) with a GPU;
    ``'CpuBf16OptimWrapper'`` on a CPU with AVX-512 BF16 or AMX.

    Raises:
        UserError: neither: one line saying what ``--amp`` needs.
    """
    if has_accelerator() if accelerator is None else accelerator:
        return 'AmpOptimWrapper'
    flags = cpu_flags() if flags is None else flags
    if flags & set(BF16_FLAGS):
        return 'CpuBf16OptimWrapper'
    raise UserError(f'--amp needs a GPU (fp16 AMP) or a CPU with AVX-512 BF16 or AMX (bf16 '
                    f'autocast); no GPU was found and the CPU ({cpu_model()}) has '
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


def compare_amp_steps(config: str, steps: int = 20, rounds: int = 2, threads: int = 2) -> dict:
    """Training steps in fp32 and under ``--amp`` from the same weights and
    batches, alternated ``rounds`` times (a noisy machine slows both alike).

    Args:
        config: A training config (its train dataloader and optimizer).
        steps: Steps per run; the step time is the median of all but the
            first two.
        rounds: fp32 / amp runs, alternated.
        threads: Torch threads.

    Returns:
        dict: ``wrapper`` (what ``--amp`` selects here), and per precision
        (``fp32``, ``amp``) a list over rounds of ``step_s``, ``first_loss``
        and ``last5_loss`` (mean total loss of the last five steps).

    Raises:
        UserError: ``--amp`` cannot run on this machine.
    """

    amp_type = amp_optim_wrapper_type()
    register_all_modules()
    torch.set_num_threads(threads)
    cfg = load_config(config)
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    batches = []
    for batch in Runner.build_dataloader(cfg.train_dataloader, seed=0):
        batches.append(batch)
        if len(batches) == steps:
            break
    torch.manual_seed(0)
    start = MODELS.build(cfg.model)
    start.init_weights()
    result = dict(wrapper=amp_type, fp32=[], amp=[])
    for _ in range(rounds):
        for key, kind in (('fp32', cfg.optim_wrapper.type), ('amp', amp_type)):
            model = copy.deepcopy(start).train()
            wrapper = build_optim_wrapper(model, dict(copy.deepcopy(cfg.optim_wrapper), type=kind))
            times, losses = [], []
            for batch in batches:
                log, seconds = timed(model.train_step, batch, wrapper)
                times.append(seconds)
                losses.append(float(sum(v for k, v in log.items() if 'loss' in k)))
            result[key].append(
                dict(
                    step_s=statistics.median(times[2:] or times),
                    first_loss=losses[0],
                    last5_loss=statistics.mean(losses[-5:])))
    return result
