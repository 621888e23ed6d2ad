"""Stop training at the first NaN/inf or diverging loss, pointing at good weights."""
from __future__ import annotations
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ..checkpoint import load_checkpoint_safely
from ..errors import UserError
from ..fileio import atomic_write
from .runtime_keys import CHECKPOINT_ITERS, FINITE_LOSS_ITER


class TrainingDivergedError(UserError, RuntimeError):
    """A loss was NaN/inf, or a loss or gradient norm passed its ceiling."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training when a loss is NaN/inf or above a ceiling.

    The loss of iteration ``t`` is computed from the weights after ``t - 1``
    optimizer steps, so those weights (and any checkpoint of them) are bad,
    while the weights of every earlier step gave finite losses. At the first
    bad iteration this hook raises :class:`TrainingDivergedError` naming the
    newest checkpoint on disk whose weights gave finite losses (or saying
    there is none), points ``last_checkpoint`` at it (so ``--resume``
    continues from good weights) and lists the checkpoints written after it,
    which are kept for inspection. It runs before the checkpoint and EMA
    hooks of the same iteration, so the bad step's weights are never saved;
    with :class:`AtomicCheckpointHook` the newest good checkpoint is also
    never removed by ``max_keep_ckpts``.

    Finite divergence (a learning rate far too high drives the loss to 1e20
    without ever reaching inf) stops the same way through the ceilings.

    Args:
        max_loss (float, optional): Stop when the total loss exceeds this.
            None (default) turns the check off.
        max_grad_norm (float, optional): Stop when the gradient norm that
            ``optim_wrapper.clip_grad`` logs (before clipping) exceeds this.
            Needs ``clip_grad`` in the optimizer wrapper; a non-finite norm is
            left to AMP's loss scaling (it skips that step). None (default)
            turns the check off.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 max_loss: Optional[float] = None,
                 max_grad_norm: Optional[float] = None) -> None:
        for name, value in (('max_loss', max_loss), ('max_grad_norm', max_grad_norm)):
            if value is not None and not value > 0:
                raise ValueError(f'NonFiniteLossHook: {name}={value!r} must '
                                 f'be a positive number or None')
        self.max_loss = max_loss
        self.max_grad_norm = max_grad_norm

    def _problems(self, runner, outputs: dict) -> Dict[str, float]:
        """Loss terms / gradient norm of this iteration that fail a check."""
        bad = {
            name: float(value.detach())
            for name, value in outputs.items()
            if isinstance(value, torch.Tensor) and not torch.isfinite(value).all()
        }
        if bad:
            return bad
        loss = outputs.get('loss')
        if (self.max_loss is not None and isinstance(loss, torch.Tensor)
                and float(loss.detach()) > self.max_loss):
            return {f'loss > max_loss={self.max_loss:g}': float(loss.detach())}
        if self.max_grad_norm is not None:
            buffers = runner.message_hub.log_scalars
            if 'train/grad_norm' in buffers:
                norm = float(buffers['train/grad_norm'].current())
                if math.isfinite(norm) and norm > self.max_grad_norm:
                    return {
                        f'grad_norm > max_grad_norm='
                        f'{self.max_grad_norm:g}': norm
                    }
        return {}

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Check the iteration's losses; record its weights as good or stop."""
        if not outputs:
            return
        bad = self._problems(runner, outputs)
        if not bad:
            # this loss came from the weights after runner.iter steps
            runner.message_hub.update_info(FINITE_LOSS_ITER, runner.iter)
            return
        good, later = self._checkpoints(runner)
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        removed = False
        if is_main_process():
            if good is not None:
                atomic_write(pointer, good[0])
            elif osp.isfile(pointer):
                # it names diverged weights: --resume must not start from them
                os.remove(pointer)
                removed = True
        where = (f'epoch {runner.epoch + 1}, iteration {runner.iter + 1}')
        if good is None:
            advice = ('no checkpoint holds weights that gave finite losses' +
                      ('; last_checkpoint removed (it named diverged '
                       'weights, --resume would start from them)' if removed else '') +
                      ': start again (without --resume) with a lower '
                      'learning rate, or check the data')
        else:
            advice = (f'last good checkpoint: {good[0]} (iteration {good[1]}, '
                      f'its weights gave finite losses); last_checkpoint now '
                      f'points to it: lower the learning rate or check the '
                      f'data, then resume with --resume')
        if later:
            advice += (f'. Written after it and holding the diverging '
                       f'weights (kept for inspection): {", ".join(later)}')
        raise TrainingDivergedError(f'training diverged at {where}: {bad}. Training stopped before '
                                    f'saving these weights; {advice}')

    @staticmethod
    def _checkpoints(runner) -> Tuple[Optional[Tuple[str, int]], List[str]]:
        """The newest checkpoint on disk with weights that gave finite
        losses, as ``(path, iter)``, and the newer checkpoints' paths."""
        checked = runner.message_hub.get_info(FINITE_LOSS_ITER)
        iters = runner.message_hub.get_info(CHECKPOINT_ITERS) or {}
        if not iters:  # a checkpoint hook that does not record iterations
            iters = _last_checkpoint_iter(runner.work_dir)
        on_disk = sorted((it, path) for path, it in iters.items() if osp.isfile(path))
        good = [(path, it) for it, path in on_disk if checked is not None and it <= checked]
        newest = good[-1] if good else None
        later = [path for it, path in on_disk if newest is None or it > newest[1]]
        return newest, later


def _last_checkpoint_iter(work_dir: str) -> Dict[str, int]:
    """``{path: meta['iter']}`` of the file ``work_dir/last_checkpoint`` names."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return {}
    with open(pointer) as f:
        path = f.read().strip()
    try:
        return {path: int(load_checkpoint_safely(path)['meta']['iter'])}
    except Exception:  # noqa: BLE001 - unreadable: nothing to point to
        return {}
