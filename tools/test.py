#!/usr/bin/env python
"""Test a detector: mmdet's ``tools/test.py`` with this plugin registered.

Same arguments as mmdet's (``CONFIG CHECKPOINT [--work-dir DIR] [--out PKL]
[--show-dir DIR] [--tta] [--cfg-options ...] [--launcher ...]``); prints the
COCO bbox table through mmdet's ``CocoMetric``. Bad input (a missing,
unsafe or truncated checkpoint, a checkpoint of another architecture or
trained for another number of classes, a malformed annotation file, data
paths that point nowhere) is one ``error:`` line and exit code 1.
"""
import argparse
import sys

import mmdet_efficientdet  # noqa: F401  (registers modules, safe checkpoint loading)
from mmdet_efficientdet.datasets import check_data_paths
from mmdet_efficientdet.models.trained import build_for_checkpoint
from mmdet_efficientdet.utils import run_cli, run_mmdet_tool
from mmdet_efficientdet.utils.cli import cfg_options_action
from mmdet_efficientdet.utils.config_loader import load_config


def main(argv=None) -> None:
    """Check the config and ``--cfg-options`` (one-line errors naming the
    key), then run mmdet's script with the same arguments."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--cfg-options', nargs='+', action=cfg_options_action())
    args, _ = parser.parse_known_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    check_data_paths(cfg)
    build_for_checkpoint(cfg, args.checkpoint, 'testing')
    # CPU multi-process runs as tools/train.py (unless the config names its runner)
    runner = None if 'runner_type' in cfg else ['runner_type=CpuDistributedRunner']
    run_mmdet_tool('test.py', runner, argv)


if __name__ == '__main__':
    sys.exit(run_cli(main))
