#!/usr/bin/env python
"""Pruning sensitivity of a trained EfficientDet: mAP and measured latency
per channel group and ratio.

    .venv/bin/python tools/pruning/prune_sensitivity.py CONFIG CKPT \
        --out work_dirs/sens/sensitivity [--ratios 0.25 0.5 0.75] \
        [--groups 's*.out' bifpn head] [--proxy 30] [--image-size 512] \
        [--round-to auto|N] [--no-latency] [--overwrite]

For every channel group (``stem``, ``s{i}.b{j}.mid`` expansion channels with
their depthwise conv and SE, ``s{i}.out`` stage outputs with their residual
couplings and BiFPN inputs, ``bifpn`` width shared by all nodes and levels,
``head`` width shared across levels) and ratio, prunes that group alone
(SIMD-aligned, least-important channels first) and measures the val bbox mAP
(``--proxy N``: on the first N val images, cheaper) and the ONNX Runtime
latency saved against the unpruned model in the same interleaved run.
Writes ``OUT.json``, ``OUT.csv``, ``OUT.png`` (and ``manifest.json`` beside
them; an earlier table is kept unless ``--overwrite``); ``tools/pruning/prune.py
--sensitivity OUT.json`` picks per-group ratios from it.
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.utils.cli import (add_image_size, add_model_args, add_overwrite,
                                          add_threads, add_verbose, positive_int, round_to_type)
from mmdet_efficientdet.utils.quiet import quiet_runtimes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    add_model_args(parser)
    parser.add_argument('--out', required=True, help='output path prefix')
    parser.add_argument('--ratios', type=float, nargs='+', default=[0.25, 0.5, 0.75])
    parser.add_argument(
        '--groups', nargs='+', default=None, help='group names or fnmatch patterns (default: all)')
    parser.add_argument(
        '--proxy',
        type=positive_int,
        default=None,
        metavar='N',
        help='score on the first N val images')
    add_image_size(parser)
    parser.add_argument('--no-latency', action='store_true')
    parser.add_argument(
        '--activations',
        action='store_true',
        help='activation masks instead of channels: per '
        'MBConv block (s<i>.b<j>), ratio = fraction of its '
        'depthwise outputs zeroed')
    parser.add_argument('--round-to', type=round_to_type, default='auto')
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
    from mmdet_efficientdet.pruning import run_sensitivity
    from mmdet_efficientdet.utils.cli import square_size
    result = run_sensitivity(args.config, args.checkpoint,
                             args.out, args.ratios, args.groups, args.proxy,
                             square_size(args.image_size), args.activations, not args.no_latency,
                             args.round_to, args.threads, args.runs, args.overwrite)
    print('\n'.join(result.files))
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
