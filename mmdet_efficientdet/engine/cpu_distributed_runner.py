"""mmengine's Runner, with the config adapted for multi-process CPU runs."""
from __future__ import annotations

from mmdet.registry import RUNNERS
from mmengine.runner import Runner

from ..utils.dist import prepare_cpu_distributed


@RUNNERS.register_module()
class CpuDistributedRunner(Runner):
    """:class:`~mmengine.runner.Runner` whose config goes through
    :func:`~mmdet_efficientdet.utils.dist.prepare_cpu_distributed` first.

    With ``--launcher pytorch`` on a machine without GPUs (gloo, CPU DDP,
    per-process BN); otherwise exactly mmengine's Runner. mmdet's own
    ``tools/test.py`` builds it from ``runner_type='CpuDistributedRunner'``
    (``RUNNERS.build(cfg)``), which our ``tools/test.py`` passes.
    """

    @classmethod
    def from_cfg(cls, cfg) -> 'CpuDistributedRunner':
        """Adapt ``cfg`` for CPU multi-process runs, then build as mmengine."""
        prepare_cpu_distributed(cfg)
        return super().from_cfg(cfg)
