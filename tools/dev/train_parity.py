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
import glob
import os.path as osp
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
from mmdet_efficientdet.utils.cli import add_threads  # noqa: E402
from reference.effdet_ref import train_parity  # noqa: E402

LEVELS = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd7x']
PORTED = ['efficientdet_d0', 'efficientdet_d1']
#: tolerances of the issue: losses 1e-5, gradients 1e-4, updated weights 1e-5
LIMITS = dict(
    target_mismatch=0, box_target=1e-5, cls_loss=1e-5, box_loss=1e-5, grad=1e-4, step=1e-5)


def cases(names):
    for name in names:
        if name in PORTED:
            yield name, osp.join(REPO, 'configs', 'efficientdet', 'ported', f'{name}_coco.py'), name
        else:
            found = glob.glob(
                osp.join(REPO, 'configs', 'efficientdet', f'efficientdet_{name}_8xb16-*e_coco.py'))
            yield name, found[0], f'tf_efficientdet_{name}'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', default=LEVELS + PORTED)
    parser.add_argument('--image-size', type=int, default=256)
    add_threads(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    header = (f'{"config":<16}{"effdet":<20}{"anchor px":>10}{"targets":>8}'
              f'{"pos":>5}{"box tgt":>9}{"cls loss":>9}{"box loss":>9}'
              f'{"grad":>9}{"step":>9}{"update":>9}{"s":>6}')
    print(
        f'input {args.image_size}, float64; relative differences except '
        f'anchor px / box tgt (absolute) and targets (mismatched anchors)\n'
        f'{header}\n{"-" * len(header)}',
        flush=True)
    failed = False
    for name, config, ref in cases(args.names):
        start = time.time()
        r = train_parity(config, ref, image_size=args.image_size)
        bad = [k for k, limit in LIMITS.items() if r[k] > limit]
        failed |= bool(bad)
        print(
            f'{name:<16}{ref:<20}{r["anchors"]:>10.1e}'
            f'{r["target_mismatch"]:>8}{r["positives"]:>5}'
            f'{r["box_target"]:>9.1e}{r["cls_loss"]:>9.1e}'
            f'{r["box_loss"]:>9.1e}{r["grad"]:>9.1e}{r["step"]:>9.1e}'
            f'{r["update"]:>9.1e}{time.time() - start:>6.0f}' + (f'  FAIL {bad}' if bad else ''),
            flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
