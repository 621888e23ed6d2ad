#!/usr/bin/env python
"""Pruning sensitivity of a trained EfficientDet: mAP and measured latency
per channel group and ratio.

    .venv/bin/python tools/pruning/prune_sensitivity.py CONFIG CKPT \
        --out work_dirs/sens/sensitivity [--ratios 0.25 0.5 0.75] \
        [--groups 's*.out' bifpn head] [--proxy 30] [--latency-size 512] \
        [--round-to auto|N] [--no-latency]

For every channel group (``stem``, ``s{i}.b{j}.mid`` expansion channels with
their depthwise conv and SE, ``s{i}.out`` stage outputs with their residual
couplings and BiFPN inputs, ``bifpn`` width shared by all nodes and levels,
``head`` width shared across levels) and ratio, prunes that group alone
(SIMD-aligned, least-important channels first) and measures the val bbox mAP
(``--proxy N``: on the first N val images, cheaper) and the ONNX Runtime
latency saved against the unpruned model in the same interleaved run.
Writes ``OUT.json``, ``OUT.csv`` and ``OUT.png``; ``tools/pruning/prune.py
--sensitivity OUT.json`` picks per-group ratios from it.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

from mmdet_efficientdet.pruning.channel_groups import PruningError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='output path prefix')
    parser.add_argument('--ratios', type=float, nargs='+',
                        default=[0.25, 0.5, 0.75])
    parser.add_argument('--groups', nargs='+', default=None,
                        help='group names or fnmatch patterns (default: all)')
    parser.add_argument('--proxy', type=int, default=None, metavar='N',
                        help='score on the first N val images only')
    parser.add_argument('--latency-size', type=int, default=None)
    parser.add_argument('--no-latency', action='store_true')
    parser.add_argument('--activations', action='store_true',
                        help='activation masks instead of channels: per '
                        'MBConv block (s<i>.b<j>), ratio = fraction of its '
                        'depthwise outputs zeroed')
    parser.add_argument('--round-to', default='auto')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--runs', type=int, default=10)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    import mmdet_efficientdet  # noqa: F401
    from mmdet_efficientdet.pruning import (DetectionEvaluator, OrtLatency,
                                            activation_sensitivity_table,
                                            sensitivity_table, simd_width,
                                            write_table)
    from mmdet_efficientdet.utils import load_trained
    bad = [r for r in args.ratios if not 0 < r < 1]
    if bad:
        raise PruningError(f'--ratios {bad}: each must be in (0, 1)')
    torch.set_num_threads(args.threads)
    round_to = simd_width() if args.round_to == 'auto' else int(args.round_to)
    cfg, model = load_trained(args.config, args.checkpoint)
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    evaluate = DetectionEvaluator(cfg, args.proxy, out_dir)
    size = args.latency_size or cfg.image_size
    if args.activations:
        rows = activation_sensitivity_table(model, evaluate, args.ratios,
                                            size, args.groups)
        for path in write_table(rows, args.out):
            print(path)
        return 0
    latency = None if args.no_latency else OrtLatency(
        model, size, args.threads, args.runs)
    print(f"round_to {round_to}, scoring {evaluate.num_images} val images"
          + (f", latency at {size}x{size}" if latency else ""))
    rows = sensitivity_table(model, evaluate, latency, args.ratios, round_to,
                             size, args.groups)
    for path in write_table(rows, args.out):
        print(path)
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
