"""Stop training at the first NaN/inf loss, before anything is saved."""
from __future__ import annotations

import os.path as osp
from typing import Optional

import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise a clear error as soon as a loss is NaN or infinite.

    Runs after every training iteration with a very high priority, so it fires
    before the checkpoint and EMA hooks of the same iteration: the weights the
    bad step produced are never written, and the last checkpoint on disk is the
    last good one. The error names the iteration, the bad loss terms and that
    checkpoint.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Check every loss term of the iteration's ``outputs``."""
        if not outputs:
            return
        bad = {
            name: float(value) for name, value in outputs.items()
            if isinstance(value, torch.Tensor) and not torch.isfinite(value).all()
        }
        if not bad:
            return
        last = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(last):
            with open(last) as f:
                checkpoint = f.read().strip()
        else:
            checkpoint = 'none saved yet'
        raise RuntimeError(
            f'non-finite loss at epoch {runner.epoch + 1}, iteration '
            f'{runner.iter + 1}: {bad}. Training stopped before saving these '
            f'weights; last good checkpoint: {checkpoint}. Lower the learning '
            f'rate or check the data, then resume with --resume.')
