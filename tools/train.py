#!/usr/bin/env python
"""Train a detector: mmdet's ``tools/train.py`` with this plugin registered.

Same arguments as mmdet's (``CONFIG [--work-dir DIR] [--resume [CKPT]]
[--amp] [--auto-scale-lr] [--cfg-options ...] [--launcher ...]``).
"""
import mmdet_efficientdet  # noqa: F401  (registers modules, safe checkpoint loading)
from mmdet_efficientdet.utils import run_mmdet_tool

if __name__ == '__main__':
    run_mmdet_tool('train.py')
