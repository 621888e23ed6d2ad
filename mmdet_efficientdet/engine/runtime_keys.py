"""Message-hub keys shared by this package's hooks (runtime info, saved in checkpoints)."""

#: Index of the newest weights known to give a finite, in-bounds loss: the
#: number of optimizer steps taken before the last iteration that passed
#: :class:`NonFiniteLossHook`'s checks (checkpoint ``meta['iter']`` scale).
FINITE_LOSS_ITER = 'finite_loss_iter'
#: ``{checkpoint path: meta['iter']}`` of the regular checkpoints written by
#: :class:`AtomicCheckpointHook` that may still be on disk.
CHECKPOINT_ITERS = 'checkpoint_iters'
