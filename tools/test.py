#!/usr/bin/env python
"""Test a detector: mmdet's ``tools/test.py`` with this plugin registered.

Same arguments as mmdet's (``CONFIG CHECKPOINT [--work-dir DIR] [--out PKL]
[--show-dir DIR] [--tta] [--cfg-options ...] [--launcher ...]``); prints the
COCO bbox table through mmdet's ``CocoMetric``.
"""
import mmdet_efficientdet  # noqa: F401  (registers modules, safe checkpoint loading)
from mmdet_efficientdet.utils import run_mmdet_tool

if __name__ == '__main__':
    run_mmdet_tool('test.py')
