#!/usr/bin/env python
"""Scalpel's claim on our model: at one parameter sparsity, unstructured
magnitude masks vs SIMD-aligned vs unaligned structured pruning.

    .venv/bin/python tools/dev/scalpel.py CONFIG CKPT \
        [--ratio 0.5] [--groups 's*.mid' bifpn head] [--size 512] \
        [--runs 15] [--json OUT.json]

The aligned variant prunes ``--groups`` by ``--ratio`` with every kept width a
multiple of the CPU's SIMD width; the unaligned one prunes the same groups
with exact widths, its ratio searched so it has the aligned variant's
parameter count (within 0.5%); the unstructured one zeroes the same number
of parameters, smallest conv weights first (dense tensors, masks). For each:
non-zero params, GMACs (for the mask: MACs with a non-zero weight), batch-1
latency eager and ONNX Runtime (all 8 timed interleaved in one run) and val
bbox mAP without fine-tuning.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys

from mmdet_efficientdet.pruning.channel_groups import PruningError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--ratio', type=float, default=0.5)
    parser.add_argument('--groups', nargs='+',
                        default=['s*.mid', 'bifpn', 'head'])
    parser.add_argument('--size', type=int, default=None,
                        help="latency/MACs input (default: config's)")
    parser.add_argument('--round-to', default='auto')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--no-map', action='store_true')
    parser.add_argument('--json', default=None)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    import mmdet_efficientdet  # noqa: F401
    from mmdet_efficientdet.pruning import (DetectionEvaluator, prune_detector,
                                            simd_width)
    from mmdet_efficientdet.pruning.report import format_rows, measure_variants
    from mmdet_efficientdet.pruning.unstructured import (effective_macs,
                                                         magnitude_prune_)
    from mmdet_efficientdet.utils import load_trained
    if not 0 < args.ratio < 1:
        raise PruningError(f'--ratio {args.ratio} must be in (0, 1)')
    torch.set_num_threads(args.threads)
    lanes = simd_width() if args.round_to == 'auto' else int(args.round_to)
    cfg, dense = load_trained(args.config, args.checkpoint)
    size = args.size or cfg.image_size

    def structured(ratio, round_to):
        model = copy.deepcopy(dense)
        prune_detector(model, {g: ratio for g in args.groups}, round_to)
        return model.eval()

    params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    aligned = structured(args.ratio, lanes)
    want = params(aligned)
    low, high = 0.0, 0.95
    for _ in range(30):  # unaligned ratio with the aligned param count
        mid = (low + high) / 2
        if params(structured(mid, 1)) > want:
            low = mid
        else:
            high = mid
    unaligned = structured(high, 1)
    masked = copy.deepcopy(dense)
    magnitude_prune_(masked, params(dense) - want)
    variants = {'dense': dense, 'mask (unstructured)': masked,
                f'structured, {lanes}-aligned': aligned,
                'structured, unaligned': unaligned}

    def macs(model):
        return effective_macs(model, size, size)

    rows = measure_variants(
        variants, size, args.threads, args.runs, macs=macs,
        evaluate=None if args.no_map else DetectionEvaluator(cfg))
    rows['structured, unaligned']['ratio'] = high
    rows[f'structured, {lanes}-aligned']['ratio'] = args.ratio
    print(f'\nScalpel check at {size}x{size}, {args.threads} threads, '
          f'groups {" ".join(args.groups)}, SIMD width {lanes}; GMACs of the '
          f'mask: MACs with a non-zero weight; mAP without fine-tuning')
    print(format_rows(rows))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(size=size, simd_width=lanes, groups=args.groups,
                           rows=rows), f, indent=1)
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
