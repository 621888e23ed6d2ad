#!/usr/bin/env python
"""Training parity with effdet's ``DetBenchTrain`` for every D-level config.

For each config: the same (random) weights and the same batch (a box far
below any anchor's 0.5-IoU reach, an image without boxes, several boxes per
image) through effdet's ``DetBenchTrain`` and our ``model.loss``, in float64;
compares anchors, per-anchor targets, the losses, every gradient and one
optimizer step with our config's optimizer (see
``reference.effdet_ref.train_parity``)::

    .venv/bin/python tools/dev/train_parity.py            # D0-D7x + ported
    .venv/bin/python tools/dev/train_parity.py d0 d3 --image-size 256

D-configs (TF 'SAME' padding) are compared with ``tf_efficientdet_dN``; the
ported ``efficientdet_d0``/``d1`` configs (symmetric padding) with effdet's
``efficientdet_d0``/``d1``. Needs the dev-only reference environment
(``make refenv``). Exit code 1 when a tolerance is missed.
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmdet_efficientdet.utils.cli import add_threads  # noqa: E402
from reference.parity_tables import LEVELS, PORTED, TRAIN_HEADER, training_parity  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', default=LEVELS + PORTED)
    parser.add_argument('--image-size', type=int, default=256)
    add_threads(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f'input {args.image_size}, float64; relative differences except anchor px / box tgt '
          f'(absolute) and targets (mismatched anchors)\n{TRAIN_HEADER}\n{"-" * len(TRAIN_HEADER)}')
    table = training_parity(args.names, args.image_size, log=lambda line: print(line, flush=True))
    return 1 if table.failed else 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
