#!/usr/bin/env python
"""Params, GMACs, eager and ONNX Runtime latency (one interleaved run) and
mAP of several trained models, e.g. an unpruned model and its pruned ones.

    .venv/bin/python tools/analysis_tools/compare_models.py \
        unpruned=CONFIG:CKPT pruned-0.7=CONFIG2:CKPT2 ... \
        [--size 512] [--runs 15] [--no-map] [--json OUT.json]

Ratios are to the first model. mAP is each model's bbox mAP on its own
config's val set; GMACs count the MACs a sparse kernel would execute when a
model has activation masks (``backbone.activation_masks``).
"""
from __future__ import annotations

import argparse
import json
import sys

from mmdet_efficientdet.pruning.channel_groups import PruningError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('models', nargs='+', metavar='NAME=CONFIG:CKPT')
    parser.add_argument('--size', type=int, default=None,
                        help="square input (default: the first config's)")
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--no-map', action='store_true')
    parser.add_argument('--json', default=None)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import mmdet_efficientdet  # noqa: F401
    from mmdet_efficientdet.pruning import DetectionEvaluator
    from mmdet_efficientdet.pruning.report import format_rows, measure_variants
    from mmdet_efficientdet.pruning.unstructured import effective_macs
    from mmdet_efficientdet.utils import load_trained
    variants, evaluators, size = {}, {}, args.size
    for item in args.models:
        name, sep, rest = item.partition('=')
        config, sep2, ckpt = rest.rpartition(':')
        if not (sep and sep2 and name):
            raise PruningError(f'{item!r}: expected NAME=CONFIG:CKPT')
        cfg, variants[name] = load_trained(config, ckpt)
        evaluators[name] = cfg
        size = size or cfg.image_size

    def evaluate(model):
        name = next(n for n, m in variants.items() if m is model)
        return DetectionEvaluator(evaluators[name])(model)

    rows = measure_variants(
        variants, size, args.threads, args.runs,
        macs=lambda m: effective_macs(m, size, size),
        evaluate=None if args.no_map else evaluate)
    print(f'{size}x{size}, {args.threads} threads, batch 1; ratios to '
          f'{next(iter(rows))}')
    print(format_rows(rows))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(size=size, rows=rows), f, indent=1)
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
