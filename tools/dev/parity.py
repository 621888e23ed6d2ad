#!/usr/bin/env python
"""Output parity between our EfficientDet and ``effdet`` with the same weights.

Runs every level (or the named effdet models) and prints a table::

    .venv/bin/python tools/dev/parity.py            # D0-D7x, TF ports
    .venv/bin/python tools/dev/parity.py tf_efficientdet_d0 efficientdet_d1

Needs the dev-only reference environment (``make refenv``).
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmdet_efficientdet.utils.cli import add_threads  # noqa: E402
from reference.effdet_ref import TF_NAMES  # noqa: E402
from reference.parity_tables import OUTPUT_HEADER, output_parity  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', default=TF_NAMES)
    parser.add_argument(
        '--image-size',
        type=int,
        default=None,
        help='input side (default: the model\'s native size)')
    add_threads(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f'threads={args.threads}; max|cls|, max|box|: raw outputs, all levels; rel: max|cls| / '
          f'max|logit|; box px, score: matched detections after NMS; unmatched: neither equal '
          f'nor a tie flip (near-tied pair kept the other way)\n{OUTPUT_HEADER}\n'
          f'{"-" * len(OUTPUT_HEADER)}')
    table = output_parity(args.names, args.image_size, log=lambda line: print(line, flush=True))
    return 1 if table.failed else 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
