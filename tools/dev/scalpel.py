#!/usr/bin/env python
"""Scalpel's claim on our model: at one parameter sparsity, unstructured
magnitude masks vs SIMD-aligned vs unaligned structured pruning.

    .venv/bin/python tools/dev/scalpel.py CONFIG CKPT \
        [--ratio 0.5] [--groups 's*.mid' bifpn head] [--image-size 512] \
        [--runs 15] [--json OUT.json] [--overwrite]

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
import sys

from mmdet_efficientdet.utils.cli import (add_image_size, add_model_args, add_overwrite,
                                          add_threads, positive_int, round_to_type)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    add_model_args(parser)
    parser.add_argument('--ratio', type=float, default=0.5)
    parser.add_argument('--groups', nargs='+', default=['s*.mid', 'bifpn', 'head'])
    add_image_size(parser)
    parser.add_argument('--round-to', type=round_to_type, default='auto')
    add_threads(parser)
    parser.add_argument('--runs', type=positive_int, default=15)
    parser.add_argument('--no-map', action='store_true')
    parser.add_argument('--json', default=None)
    add_overwrite(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.fileio import plan_outputs, write_json
    from mmdet_efficientdet.pruning.scalpel import scalpel_check
    from mmdet_efficientdet.utils.cli import square_size
    inputs = [args.config, args.checkpoint]
    if args.json:
        plan_outputs([args.json], inputs, args.overwrite)
    result = scalpel_check(args.config, args.checkpoint, args.ratio, args.groups,
                           square_size(args.image_size), args.round_to, args.threads, args.runs,
                           not args.no_map)
    print(f'Scalpel check, groups {" ".join(args.groups)}; GMACs of the '
          f'mask: MACs with a non-zero weight; mAP without fine-tuning')
    print(result.table())
    if args.json:
        write_json(args.json, dict(size=result.image_size, groups=args.groups, rows=result.rows),
                   inputs, args.overwrite)
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
