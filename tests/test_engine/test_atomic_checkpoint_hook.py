"""A training process killed at random instants during checkpoint writes
always leaves a loadable last checkpoint and a best checkpoint, and resumes;
the next start removes the partial writes of the killed one."""
from __future__ import annotations
import os
import os.path as osp
import random
import re

import pytest

from mmdet_efficientdet.checkpoint import load_checkpoint_safely
from mmdet_efficientdet.fileio import atomic_write, stale_temp_files, temp_path
from ..conftest import REPO
from ..process import ToolProcess

TRAIN = osp.join(REPO, 'tools', 'train.py')
# tests.fault_helpers (ClockMetric) must import in the training process
ENV = dict(PYTHONPATH=REPO, OMP_NUM_THREADS='1')

KILL_CONFIG = """
custom_imports = dict(imports=['mmdet_efficientdet', 'tests.fault_helpers'],
                      allow_failed_imports=False)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=100000,
                 val_interval=1)
val_dataloader['dataset']['indices'] = 2
val_evaluator = dict(_delete_=True, type='ClockMetric')
test_evaluator = val_evaluator
log_processor = dict(by_epoch=False)
default_hooks = dict(
    logger=dict(interval=1000),
    checkpoint=dict(type='{hook}', by_epoch=False, interval=1,
                    max_keep_ckpts=1, save_best='test/clock', rule='greater'))
"""


def _kill_and_resume(make_tiny_config, tmp_path, hook: str, rounds: int):
    config = make_tiny_config(extra=KILL_CONFIG.format(hook=hook))
    work = str(tmp_path / 'work')
    rng = random.Random(0)
    best_written = False
    for round_ in range(rounds):
        if round_:  # besides any the kill left: a partial write, as a kill mid-save leaves
            with open(temp_path(osp.join(work, f'iter_{round_}.pth')), 'wb') as f:
                f.write(b'partial')
        left = stale_temp_files(work)
        assert len(left) >= (round_ > 0)
        args = [config, '--work-dir', work] + (['--resume'] if round_ else [])
        run = ToolProcess([TRAIN] + args, str(tmp_path), env=ENV)
        # a random instant into the n-th checkpoint write of this round
        run.wait_for('Saving checkpoint at', count=rng.randint(1, 3))
        run.kill_after(rng.uniform(0.0, 0.6))
        log = ''.join(run.lines)
        if round_:
            assert re.search(r'resumed epoch: \d+, iter: \d+', log), run.log()
        # the next start removes them (and says so)
        assert not set(left) & set(stale_temp_files(work)), left
        assert all(f'removed {path}, a partial write' in log for path in left), run.log()
        best_written |= 'The best checkpoint with' in log
        pointer = osp.join(work, 'last_checkpoint')
        assert osp.isfile(pointer), f'round {round_}: no last_checkpoint'
        last = open(pointer).read().strip()
        assert osp.isfile(last), f'round {round_}: {last} missing'
        meta = load_checkpoint_safely(last)['meta']
        assert osp.basename(last) == f'iter_{meta["iter"]}.pth'
        bests = [f for f in os.listdir(work) if f.startswith('best_')]
        if best_written:
            assert bests, f'round {round_}: the best checkpoint was lost'
            for name in bests:
                if not name.startswith('.'):
                    load_checkpoint_safely(osp.join(work, name))


def test_kills_during_saves_leave_loadable_last_and_best(make_tiny_config, tmp_path):
    _kill_and_resume(make_tiny_config, tmp_path, "AtomicCheckpointHook", rounds=3)


def test_atomic_write_never_leaves_partial_target(tmp_path):
    path = str(tmp_path / 'f.bin')
    atomic_write(path, b'a' * 10)

    with pytest.raises(TypeError):
        atomic_write(path, 12345)  # not bytes: nothing written
    assert open(path, 'rb').read() == b'a' * 10
    assert stale_temp_files(str(tmp_path)) == []
