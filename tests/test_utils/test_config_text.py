"""FormattedOnceConfig: mmengine's text, formatted once per content, also
through a Runner's log, dumped config and checkpoints."""
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from mmdet_efficientdet.checkpoint import load_checkpoint_safely
from mmdet_efficientdet.utils.config_loader import load_config
from mmdet_efficientdet.utils.config_text import FormattedOnceConfig
from ..conftest import D0_CONFIG


def _count_formatting(monkeypatch) -> list:
    """Calls of mmengine's own ``pretty_text`` from now on."""
    calls = []
    text = Config.pretty_text.fget

    def counted(self):
        calls.append(1)
        return text(self)

    monkeypatch.setattr(Config, 'pretty_text', property(counted))
    return calls


def test_the_text_is_mmengines_and_follows_changes(monkeypatch):
    plain = Config.fromfile(D0_CONFIG)
    cfg = load_config(D0_CONFIG)
    assert isinstance(cfg, FormattedOnceConfig)
    calls = _count_formatting(monkeypatch)
    assert cfg.pretty_text == plain.pretty_text
    assert cfg.pretty_text == plain.pretty_text
    assert len(calls) == 3  # plain twice, ours once
    cfg.model.bbox_head.num_classes = 7
    plain.model.bbox_head.num_classes = 7
    assert cfg.pretty_text == plain.pretty_text and 'num_classes=7' in cfg.pretty_text
    assert len(calls) == 5


def test_a_runner_formats_once_for_log_dump_and_every_checkpoint(make_tiny_config, tmp_path,
                                                                 monkeypatch):
    config = make_tiny_config(
        max_epochs=1,
        extra="default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', "
        "by_epoch=False, interval=1, max_keep_ckpts=-1))\n")
    cfg = load_config(config)
    cfg.work_dir = str(tmp_path / 'work')
    calls = _count_formatting(monkeypatch)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert len(calls) == 1  # log, dump, message hub and 4 checkpoints (and the best)
    text = runner.cfg.pretty_text
    assert text == Config(runner.cfg.to_dict()).pretty_text  # mmengine's own
    assert open(osp.join(cfg.work_dir, osp.basename(config))).read() == text
    for i in range(1, 5):
        meta = load_checkpoint_safely(osp.join(cfg.work_dir, f'iter_{i}.pth'))['meta']
        assert meta['cfg'] == text
