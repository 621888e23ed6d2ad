"""Multi-process training on machines without GPUs (torch.distributed + gloo)."""
from __future__ import annotations
import os

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log


def prepare_cpu_distributed(cfg: Config) -> bool:
    """Adapt a config for multi-process training on CPUs, if that is the case.

    mmengine's ``pytorch`` launcher path assumes GPUs: it calls
    ``torch.cuda.set_device``, wraps the model in DDP with ``device_ids``, and
    our configs ask for SyncBN (which needs GPUs). When ``cfg.launcher`` is
    not ``'none'`` and CUDA is unavailable this:

    * starts the process group itself with the ``gloo`` backend from the
      environment torchrun sets (mmengine then skips its own start);
    * wraps the model in DDP without ``device_ids`` (CPU modules);
    * keeps plain BatchNorm (per-process statistics), logging that it does.

    Args:
        cfg (Config): The training config (modified in place).

    Returns:
        bool: Whether the config was adapted.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return False
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if cfg.get('sync_bn') is not None:
        print_log(
            f'sync_bn={cfg.sync_bn!r} needs GPUs; training on CPUs with '
            f'per-process BatchNorm statistics',
            logger='current')
        cfg.sync_bn = None
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo', rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']))
    return True
