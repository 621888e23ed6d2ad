#!/usr/bin/env python
"""The largest EfficientDet that fits a budget on this machine.

    python tools/analysis_tools/scale_to_budget.py --budget 40 \
        --metric latency --target ov-int8 --out-dir work_dirs/budget \
        [--families d lite v2] [--phi-step 0.25] [--batch 2] [--runs 10]

Budgets: ``gflops`` (G multiply-adds, counted), ``params`` (millions),
``latency`` (ms at batch 1, *measured* on ``--target``: eager, ort-fp32,
ort-int8, ov-fp32, ov-int8) or ``memory`` (MB peak RSS of training at
``--batch``, measured in a fresh process). Candidates: D0-D7x with the
paper's rule at every fractional phi between them (``--phi-step``),
Lite0-Lite4, the V2-backbone rows. Each family is searched from its small end
(galloping, then bisection: only the candidates near the boundary are
measured); the chosen model is the family winner with the most
multiply-adds. Writes ``DIR/budget.json|csv|png`` (cost against phi with the
budget line and the published COCO AP), ``DIR/<chosen>.py`` (a config to
train: ``tools/train.py DIR/<chosen>.py``) and ``DIR/manifest.json``.
"""
from __future__ import annotations
import argparse
import os.path as osp
import sys

from mmdet_efficientdet.budget import FAMILIES, METRICS
from mmdet_efficientdet.measure import INFERENCE_PATHS
from mmdet_efficientdet.utils.cli import (add_overwrite, add_target_argument, add_threads,
                                          add_verbose, positive_int)
from mmdet_efficientdet.utils.quiet import quiet_runtimes

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_CONFIG = osp.join(REPO, 'configs', 'efficientdet', 'efficientdet_d0_8xb16-300e_coco.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument('--budget', type=float, required=True)
    parser.add_argument('--metric', choices=list(METRICS), required=True)
    add_target_argument(
        parser,
        old=('--path', ),
        choices=INFERENCE_PATHS,
        default=None,
        help='inference path of a latency budget (eager, fused or a target)')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--families', nargs='+', choices=FAMILIES, default=list(FAMILIES))
    parser.add_argument('--phi-step', type=float, default=0.25)
    parser.add_argument('--max-phi', type=float, default=7.0)
    parser.add_argument(
        '--batch', type=positive_int, default=2, help='training batch of a memory budget')
    add_threads(parser)
    parser.add_argument('--runs', type=positive_int, default=10)
    add_overwrite(parser)
    add_verbose(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with quiet_runtimes(args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from mmdet_efficientdet.budget import scale_to_budget
    result = scale_to_budget(args.budget, args.metric, BASE_CONFIG, args.out_dir, args.target,
                             args.families, args.phi_step, args.max_phi, args.batch, args.threads,
                             args.runs, args.overwrite)
    print(result.summary())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
