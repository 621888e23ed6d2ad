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
import time

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmdet_efficientdet.utils.cli import add_threads  # noqa: E402
from reference.effdet_ref import TF_NAMES, compare  # noqa: E402


def main() -> None:
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
    header = (f'{"model":<22}{"input":>6}{"params":>12}{"max|cls|":>11}'
              f'{"max|box|":>11}{"rel":>9}{"dets":>6}{"box px":>10}{"score":>10}'
              f'{"unmatched":>10}{"flips":>6}{"time s":>8}')
    print(
        f'threads={args.threads}; max|cls|, max|box|: raw outputs, all '
        f'levels; rel: max|cls| / max|logit|; box px, score: matched '
        f'detections after NMS; unmatched: neither equal nor a tie flip '
        f'(near-tied pair kept the other way)\n{header}\n{"-" * len(header)}',
        flush=True)
    failed = False
    for name in args.names:
        start = time.time()
        r = compare(name, args.image_size)
        ok = (
            r['cls'] <= 1e-4 and r['box'] <= 1e-4 and r['det_box'] <= 1e-2
            and r['det_score'] <= 1e-4 and r['label_mismatch'] == 0)
        failed |= not ok
        print(
            f'{name:<22}{r["image_size"]:>6}{r["params"]:>12,}'
            f'{r["cls"]:>11.2e}{r["box"]:>11.2e}'
            f'{r["cls"] / r["cls_scale"]:>9.1e}{r["num_det"]:>6}'
            f'{r["det_box"]:>10.2e}{r["det_score"]:>10.2e}'
            f'{r["label_mismatch"]:>10}{r["tie_flips"]:>6}'
            f'{time.time() - start:>8.1f}' + ('' if ok else '  FAIL'),
            flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
