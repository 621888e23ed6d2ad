"""A NaN loss stops training with a clear message; the last checkpoint survives."""
import os.path as osp

import pytest
import torch
from mmdet.registry import HOOKS
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmdet_efficientdet.checkpoint import load_checkpoint_safely


@HOOKS.register_module(force=True)
class _PoisonWeightsHook(Hook):
    """Test helper: makes the loss NaN from iteration ``at`` (1-based) on."""

    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            model = runner.model
            with torch.no_grad():
                model.bbox_head.cls_pred.pointwise_conv.conv.bias.fill_(float('nan'))


def test_nan_loss_stops_with_message_and_keeps_last_checkpoint(
        make_tiny_config, tmp_path):
    config = make_tiny_config(
        max_epochs=3, extra="custom_hooks = [dict(type='_PoisonWeightsHook', at=6)]\n")
    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError) as err:
        runner.train()
    message = str(err.value)
    assert 'non-finite loss at epoch 2, iteration 6' in message
    assert 'loss_cls' in message and 'epoch_1.pth' in message
    assert not osp.exists(tmp_path / 'epoch_2.pth')
    state = load_checkpoint_safely(str(tmp_path / 'epoch_1.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values()
               if v.is_floating_point())
