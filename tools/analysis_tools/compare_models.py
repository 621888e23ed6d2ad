#!/usr/bin/env python
"""Params, GMACs, eager and ONNX Runtime latency (one interleaved run) and
mAP of several trained models, e.g. an unpruned model and its pruned ones.

    .venv/bin/python tools/analysis_tools/compare_models.py \
        unpruned=CONFIG:CKPT pruned-0.7=CONFIG2:CKPT2 ... \
        [--image-size 512] [--runs 15] [--no-map] [--json OUT.json] [--overwrite]

Ratios are to the first model; names must differ. mAP is each model's bbox mAP on its own
config's val set; GMACs count the MACs a sparse kernel would execute when a
model has activation masks (``backbone.activation_masks``).
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.utils.cli import add_image_size, add_overwrite, add_threads, positive_int


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument('models', nargs='+', metavar='NAME=CONFIG:CKPT')
    add_image_size(parser, "the first config's image_size")
    add_threads(parser)
    parser.add_argument('--runs', type=positive_int, default=15)
    parser.add_argument('--no-map', action='store_true')
    parser.add_argument('--json', default=None, help='also write the rows here')
    add_overwrite(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.benchmarking import compare_models
    from mmdet_efficientdet.utils.cli import square_size
    result = compare_models(args.models, square_size(args.image_size), args.threads, args.runs,
                            not args.no_map, args.json, args.overwrite)
    print(result.table())
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
