#!/usr/bin/env python
"""Print the EfficientDet D0–D7x (and V2-backbone) table measured on the configs.

For each config: the numbers read from the config, and params / multiply-adds
measured on the built model at its native square input, next to the paper's
Table 1 (``mmdet_efficientdet.scaling``). Params must be within 2% and FLOPs
within 5%; the last column says whether they are. Exit status 1 if any is not.
The EfficientNetV2-backbone variants (``v2-b0``, ``v2-b3``, ``v2-s``) have no
published numbers: they are measured and listed with ``-`` for the paper.

    python tools/analysis_tools/model_table.py            # all of D0-D7x and V2
    python tools/analysis_tools/model_table.py --levels d0 d3 v2-s --num-classes 90
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

from mmdet_efficientdet.utils.cli import add_threads

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO, 'configs', 'efficientdet')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--levels', nargs='+', default=None, help='levels to measure (default: all)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=90,
        help='classes of the head; the paper counts COCO with '
        '90 class slots (default: 90)')
    add_threads(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    import torch
    from mmengine.logging import MMLogger

    from mmdet_efficientdet.benchmarking.model_table import HEADER, model_table
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('mmengine', log_level='ERROR')
    print(f'threads={args.threads}, num_classes={args.num_classes}')
    print(HEADER)
    print('-' * len(HEADER))
    rows = model_table(
        CONFIG_DIR, args.levels, args.num_classes, log=lambda line: print(line, flush=True))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
