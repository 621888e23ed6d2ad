"""Test-only hook for the multi-process test (imported via custom_imports)."""
import os.path as osp

import torch
from mmdet.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook


@HOOKS.register_module()
class SaveRankWeightsHook(Hook):
    """After training, every rank writes its own weights to work_dir/rank{r}.pth."""

    def after_run(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        torch.save(
            dict(state_dict=state, iter=runner.iter),
            osp.join(runner.work_dir, f'rank{get_rank()}.pth'))
