#!/usr/bin/env python
"""Test a detector: mmdet's ``tools/test.py`` with this plugin registered.

Same arguments as mmdet's (``CONFIG CHECKPOINT [--work-dir DIR] [--out PKL]
[--show-dir DIR] [--tta] [--cfg-options ...] [--launcher ...]``); prints the
COCO bbox table through mmdet's ``CocoMetric``. Bad input (a missing,
unsafe or truncated checkpoint, a checkpoint of another architecture, a
malformed annotation file) is one ``error:`` line and exit code 1.
"""
import sys

import mmdet_efficientdet  # noqa: F401  (registers modules, safe checkpoint loading)
from mmdet_efficientdet.utils import run_cli, run_mmdet_tool

if __name__ == '__main__':
    sys.exit(run_cli(lambda: run_mmdet_tool('test.py')))
