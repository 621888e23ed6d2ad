"""NaN/inf or diverging losses stop training, naming a checkpoint whose
weights gave finite losses; resuming from it trains on."""
import os.path as osp

import pytest
import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmdet_efficientdet.checkpoint import load_checkpoint_safely
from mmdet_efficientdet.engine import NonFiniteLossHook, TrainingDivergedError
from mmdet_efficientdet.utils.config_loader import load_config

# checkpoint every iteration, keep one: the hook must keep the good one
EVERY_ITER = """
default_hooks = dict(
    non_finite_loss=dict(type='NonFiniteLossHook', max_loss={max_loss},
                         max_grad_norm={max_grad_norm}),
    checkpoint=dict(type='AtomicCheckpointHook', by_epoch=False, interval=1,
                    max_keep_ckpts=1))
"""


@HOOKS.register_module(force=True)
class _LrJumpHook(Hook):
    """Test helper: from iteration ``at`` (1-based) on, train with ``lr``."""

    def __init__(self, at: int, lr: float) -> None:
        self.at, self.lr = at, lr

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 >= self.at:
            for group in runner.optim_wrapper.optimizer.param_groups:
                group['lr'] = self.lr


@HOOKS.register_module(force=True)
class _ConfidentBiasHook(Hook):
    """Test helper: at iteration ``at`` every anchor scores ~1 for every
    class: a huge but finite focal loss."""

    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            with torch.no_grad():
                runner.model.bbox_head.cls_pred.pointwise_conv.conv.bias.fill_(200.)


def _run(make_tiny_config, tmp_path, hook: str, max_loss=None, max_grad_norm=None, epochs=3):
    config = make_tiny_config(
        max_epochs=epochs,
        extra=EVERY_ITER.format(max_loss=max_loss, max_grad_norm=max_grad_norm) +
        f'custom_hooks = [{hook}]\n')
    cfg = load_config(config)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    with pytest.raises(TrainingDivergedError) as err:
        runner.train()
    return str(err.value), cfg


def _pointer(work_dir):
    return open(osp.join(work_dir, 'last_checkpoint')).read().strip()


def test_nan_names_checkpoint_with_good_weights_and_resume_trains_on(make_tiny_config, tmp_path):
    # the step of iteration 4 uses lr 1e30: iter_4.pth holds diverged
    # weights, the loss of iteration 5 (from those weights) is not finite
    message, cfg = _run(
        make_tiny_config, tmp_path, "dict(type='_LrJumpHook', at=4, lr=1e30)", epochs=2)
    work = cfg.work_dir
    assert 'training diverged at epoch 2, iteration 5' in message
    assert f'last good checkpoint: {work}/iter_3.pth (iteration 3' in message
    assert f'kept for inspection): {work}/iter_4.pth' in message
    assert _pointer(work) == osp.join(work, 'iter_3.pth')
    good = load_checkpoint_safely(osp.join(work, 'iter_3.pth'))['state_dict']
    bad = load_checkpoint_safely(osp.join(work, 'iter_4.pth'))['state_dict']
    assert max(v.abs().max() for v in good.values() if v.is_floating_point()) < 100
    assert max(v.abs().max() for v in bad.values() if v.is_floating_point()) > 1e20
    # older checkpoints beyond max_keep_ckpts=1 were removed
    assert not osp.exists(osp.join(work, 'iter_2.pth'))

    # --resume (last_checkpoint) with the config's sane learning rate
    cfg.custom_hooks = []
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    # mmengine resumes mid-epoch by replaying that epoch: 3 + 2 x 4 iterations
    assert (runner.epoch, runner.iter) == (2, 11)
    final = load_checkpoint_safely(_pointer(work))
    assert final['meta']['iter'] == 11
    assert all(
        torch.isfinite(v).all() for v in final['state_dict'].values() if v.is_floating_point())


def test_nan_at_once_says_no_good_checkpoint(make_tiny_config, tmp_path):
    message, cfg = _run(make_tiny_config, tmp_path, "dict(type='_LrJumpHook', at=1, lr=1e30)")
    assert 'training diverged at epoch 1, iteration 2' in message
    assert 'no checkpoint holds weights that gave finite losses' in message
    assert f'kept for inspection): {cfg.work_dir}/iter_1.pth' in message
    # iter_1.pth holds the weights that diverged: --resume must not find it
    assert 'last_checkpoint removed' in message
    assert not osp.exists(osp.join(cfg.work_dir, 'last_checkpoint'))
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_1.pth'))


def test_finite_divergence_stops_at_the_loss_ceiling(make_tiny_config, tmp_path):
    message, cfg = _run(
        make_tiny_config, tmp_path, "dict(type='_ConfidentBiasHook', at=6)", max_loss=1e4)
    assert 'training diverged at epoch 2, iteration 6' in message
    assert "'loss > max_loss=10000'" in message
    assert f'last good checkpoint: {cfg.work_dir}/iter_4.pth' in message
    assert _pointer(cfg.work_dir) == osp.join(cfg.work_dir, 'iter_4.pth')


def test_gradient_norm_ceiling_reads_the_norm_before_clipping(make_tiny_config, tmp_path):
    # clip_grad max_norm is 10; the ceiling sees the unclipped norm
    message, _ = _run(make_tiny_config, tmp_path, '', max_grad_norm=1e-3)
    assert 'training diverged at epoch 1, iteration 1' in message
    assert "'grad_norm > max_grad_norm=0.001'" in message
    assert 'no checkpoint holds weights that gave finite losses' in message


def test_bad_ceiling_is_named():
    with pytest.raises(ValueError, match='max_loss=0'):
        NonFiniteLossHook(max_loss=0)
