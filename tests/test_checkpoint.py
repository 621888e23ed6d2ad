"""Checkpoints on torch >= 2.6: resume/load_from work, foreign types refused."""
from __future__ import annotations
import collections
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner, load_checkpoint

from mmdet_efficientdet.checkpoint import (UnsafeCheckpointError, load_checkpoint_safely,
                                           safe_checkpoint_globals)
from mmdet_efficientdet.utils.config_loader import load_config


class ForeignObject:
    """Stands for any class a downloaded checkpoint could smuggle in."""

    def __init__(self) -> None:
        self.payload = 1


def _train(config: str, work_dir: str, resume_from: str | None = None) -> Runner:
    cfg = load_config(config)
    cfg.work_dir = work_dir
    if resume_from:
        cfg.resume = True
        cfg.load_from = resume_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _weights(path: str) -> dict:
    return load_checkpoint_safely(path)['state_dict']


def test_resume_continues_from_saved_iteration_with_identical_weights(make_tiny_config, tmp_path):
    config = make_tiny_config(max_epochs=2)
    full = _train(config, str(tmp_path / 'full'))
    assert full.iter == 8  # 8 images / batch 2 = 4 iterations per epoch
    ckpt1 = str(tmp_path / 'full' / 'epoch_1.pth')
    saved = load_checkpoint_safely(ckpt1)
    assert saved['meta']['iter'] == 4 and saved['meta']['epoch'] == 1
    assert 'message_hub' in saved and 'optimizer' in saved

    resumed = _train(config, str(tmp_path / 'resumed'), resume_from=ckpt1)
    assert resumed.iter == 8 and resumed.epoch == 2
    # the resumed run trained only epoch 2: it never wrote epoch 1 itself
    assert not osp.exists(tmp_path / 'resumed' / 'epoch_1.pth')
    final_full = _weights(str(tmp_path / 'full' / 'epoch_2.pth'))
    final_resumed = _weights(str(tmp_path / 'resumed' / 'epoch_2.pth'))
    assert final_full.keys() == final_resumed.keys()
    for key, value in final_full.items():
        torch.testing.assert_close(final_resumed[key], value, rtol=0, atol=1e-6, msg=key)
    # and the weights did change during epoch 2
    first = _weights(ckpt1)
    assert any(not torch.equal(first[k], final_full[k]) for k in first
               if first[k].is_floating_point())


def test_load_from_loads_weights_into_a_fresh_model(trained, tmp_path):
    config, ckpt = trained  # the tiny D0 after one epoch
    cfg = load_config(config)
    cfg.work_dir = str(tmp_path / 'b')
    runner = Runner.from_cfg(cfg)
    load_checkpoint(runner.model, ckpt)
    saved = _weights(ckpt)
    state = runner.model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in saved.items())


def test_checkpoint_with_foreign_type_is_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': ForeignObject()}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_checkpoint_safely(path)
    assert 'ForeignObject' in str(err.value)
    assert path in str(err.value)
    # mmengine's own loading path goes through the same safe loader
    with pytest.raises(UnsafeCheckpointError, match='ForeignObject'):
        load_checkpoint(torch.nn.Linear(2, 2), path)


def test_allow_list_is_exact():
    names = {f'{g.__module__}.{g.__qualname__}' for g in safe_checkpoint_globals()}
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in names
    assert 'numpy.ndarray' in names
    assert not any(
        name.startswith(('builtins.', '__builtin__.', 'os.', 'subprocess.')) for name in names)
    # an ordinary collections type is still refused
    assert collections.OrderedDict not in safe_checkpoint_globals()


def test_missing_and_corrupt_files_are_named(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_safely(missing)
    corrupt = tmp_path / 'corrupt.pth'
    corrupt.write_bytes(b'not a checkpoint at all')
    with pytest.raises((RuntimeError, UnsafeCheckpointError), match='corrupt.pth'):
        load_checkpoint_safely(str(corrupt))
