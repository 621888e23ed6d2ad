"""CheckpointHook whose every write is atomic and which removes old files last."""
from __future__ import annotations
import os
import os.path as osp
from typing import Dict, List, Optional

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from ..fileio import AtomicLocalBackend, atomic_write, stale_temp_files
from .runtime_keys import CHECKPOINT_ITERS, FINITE_LOSS_ITER


class _DeferredRemoval:
    """File-backend proxy that records removals instead of doing them."""

    def __init__(self, backend) -> None:
        self.wrapped = backend
        self.paths: List[str] = []

    def remove(self, path: str) -> None:
        self.paths.append(path)

    def rmtree(self, path: str) -> None:
        self.paths.append(path)

    def __getattr__(self, name: str):
        return getattr(self.wrapped, name)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's :class:`CheckpointHook` that a kill at any instant cannot break.

    Same arguments, file names, ``max_keep_ckpts``/``save_best`` behaviour and
    resume support as :class:`~mmengine.hooks.CheckpointHook`, with three
    differences on local storage:

    * every file (``epoch_N.pth``/``iter_N.pth``, ``best_*.pth`` and the
      ``last_checkpoint`` pointer) is written to a temporary file in the same
      folder, fsynced and renamed over its target
      (:class:`~mmdet_efficientdet.fileio.AtomicLocalBackend`);
    * an old checkpoint (beyond ``max_keep_ckpts``, or the previous best) is
      removed only after its replacement and the pointer are in place, so a
      killed run always leaves ``last_checkpoint`` naming a complete file and
      keeps a best checkpoint once one was written;
    * with :class:`NonFiniteLossHook` in the run, the newest checkpoint whose
      weights are known to give finite losses is kept even when it falls out
      of ``max_keep_ckpts`` (so disk holds at most one extra file), because the
      weights of the newest checkpoint are only checked by the next iteration.

    Temporary files left by a killed run are removed when training starts.
    With a remote ``backend_args``/``file_client_args`` it behaves exactly as
    mmengine's hook.
    """

    def __init__(self, **kwargs) -> None:
        if (kwargs.get('backend_args') is None and kwargs.get('file_client_args') is None):
            kwargs['backend_args'] = dict(backend='atomic_local')
        super().__init__(**kwargs)

    def _local_backend(self) -> Optional[AtomicLocalBackend]:
        backend = getattr(self.file_backend, 'wrapped', self.file_backend)
        return backend if isinstance(backend, AtomicLocalBackend) else None

    def before_train(self, runner) -> None:
        """Set up as mmengine does, then clear a killed run's temporary files."""
        super().before_train(runner)
        if self._local_backend() is None or not is_main_process():
            return
        for folder in {self.out_dir, runner.work_dir}:
            for path in stale_temp_files(folder):
                os.remove(path)
                runner.logger.info(f'removed {path}, a partial write of a '
                                   f'killed run')

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        backend = self._local_backend()
        if backend is None:
            return super()._save_checkpoint_with_step(runner, step, meta)
        removable: List[str] = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                removable.append(self._ckpt_path(self.keep_ckpt_ids.popleft()))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        self.last_ckpt = self._ckpt_path(step)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        iters: Dict[str, int] = dict(runner.message_hub.get_info(CHECKPOINT_ITERS) or {})
        iters[self.last_ckpt] = int(meta['iter'])
        runner.message_hub.update_info(CHECKPOINT_ITERS, iters)

        runner.save_checkpoint(
            self.out_dir,
            osp.basename(self.last_ckpt),
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if self.max_keep_ckpts > 0:
            self._remove_outdated(runner, backend, removable, iters)

    def _ckpt_path(self, step: int) -> str:
        return self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(step))

    def _remove_outdated(self, runner, backend, removable: List[str], iters: Dict[str,
                                                                                  int]) -> None:
        """Remove checkpoints out of ``keep_ckpt_ids``, but keep the newest
        one whose weights gave finite losses."""
        kept = {self._ckpt_path(s) for s in self.keep_ckpt_ids}
        candidates = set(removable) | {p for p in iters if p not in kept}
        checked_iter = runner.message_hub.get_info(FINITE_LOSS_ITER)
        if checked_iter is not None:
            good = [(it, p) for p, it in iters.items() if it <= checked_iter and backend.isfile(p)]
            if good:
                candidates.discard(max(good)[1])
        for path in sorted(candidates):
            if backend.isfile(path):
                backend.remove(path)
            elif backend.isdir(path):
                backend.rmtree(path)
            iters.pop(path, None)
        runner.message_hub.update_info(CHECKPOINT_ITERS, iters)

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        backend = self._local_backend()
        if backend is None:
            return super()._save_best_checkpoint(runner, metrics)
        deferred = _DeferredRemoval(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        current = {
            getattr(self, 'best_ckpt_path', None),
            *getattr(self, 'best_ckpt_path_dict', {}).values()
        }
        for path in deferred.paths:
            if path in current:
                continue
            if backend.isfile(path):
                backend.remove(path)
            elif backend.isdir(path):
                backend.rmtree(path)
