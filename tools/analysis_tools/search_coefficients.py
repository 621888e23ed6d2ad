#!/usr/bin/env python
"""EfficientNet's compound-scaling grid search (step 1) on your config and data.

    python tools/analysis_tools/search_coefficients.py CONFIG --epochs 4 \
        --out-dir work_dirs/coefficients [--alphas 1.0 1.2 1.4] \
        [--betas 1.0 1.1 1.2] [--gammas 1.0 1.15 1.3] [--flops-factor 2] \
        [--tolerance 0.15] [--bifpn-factors 1.35] [--phis 2 3] \
        [--target eager] [--size-divisor 32] [--cfg-options k=v ...]

For every (alpha, beta, gamma) with alpha * beta^2 * gamma^2 within
``--tolerance`` of ``--flops-factor`` (the paper's 1.2, 1.1, 1.15 always
included), builds the phi = 1 model of the config's ``level`` -- backbone
depth x alpha, width x beta, input x gamma, BiFPN width x 1.35 (or each of
``--bifpn-factors``), one more BiFPN layer -- trains it ``--epochs`` epochs
on the config's data and schedule from the same seed, evaluates it (COCO
bbox mAP) and counts its multiply-adds; then all candidates' latencies on
``--target`` are measured in one interleaved run.
Prints and writes the table (``DIR/grid.json``, ``grid.csv``), the best
coefficients, and complete configs of the best phi = 1 model and of the
models they give at ``--phis`` (``DIR/phi2_best.py`` ...; train them with
``tools/train.py``). Training runs go to ``DIR/runs/<coefficients>/``.
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.measure import INFERENCE_PATHS
from mmdet_efficientdet.utils.cli import (add_overwrite, add_target_argument, add_threads,
                                          add_verbose, cfg_options_action, positive_int)
from mmdet_efficientdet.utils.quiet import quiet_runtimes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument('config', help='your training config (with `level`)')
    parser.add_argument(
        '--epochs', type=positive_int, required=True, help='training epochs of each candidate')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--alphas', type=float, nargs='+', default=[1.0, 1.2, 1.4])
    parser.add_argument('--betas', type=float, nargs='+', default=[1.0, 1.1, 1.2])
    parser.add_argument('--gammas', type=float, nargs='+', default=[1.0, 1.15, 1.3])
    parser.add_argument('--bifpn-factors', type=float, nargs='+', default=[1.35])
    parser.add_argument(
        '--flops-factor', type=float, default=2.0, help='alpha * beta^2 * gamma^2 to aim at')
    parser.add_argument('--tolerance', type=float, default=0.15)
    parser.add_argument(
        '--phis', type=float, nargs='+', default=[2, 3], help='phi of the scaled models to write')
    parser.add_argument(
        '--size-divisor',
        type=int,
        choices=(32, 64, 128),
        default=32,
        help='input sides are multiples of this')
    add_target_argument(
        parser,
        old=('--path', ),
        default='eager',
        help=f'inference path of the latency column: one of {list(INFERENCE_PATHS)}')
    add_threads(parser)
    parser.add_argument('--runs', type=positive_int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=cfg_options_action())
    add_overwrite(parser)
    add_verbose(parser)
    args = parser.parse_args(argv)
    try:  # the old `--target N` was the FLOPs factor
        args.flops_factor, args.target = float(args.target), 'eager'
        print(
            'warning: --target N for the FLOPs factor is deprecated; use --flops-factor N '
            '(--target now names the inference path)',
            file=sys.stderr)
    except ValueError:
        pass
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with quiet_runtimes(args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from mmdet_efficientdet.budget import search_coefficients
    result = search_coefficients(args.config, args.out_dir, args.epochs, args.alphas, args.betas,
                                 args.gammas, args.bifpn_factors, args.flops_factor, args.tolerance,
                                 args.phis, args.size_divisor, args.target, args.threads, args.runs,
                                 args.seed, args.cfg_options, args.overwrite)
    print(result.summary())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
