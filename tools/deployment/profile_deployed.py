#!/usr/bin/env python
"""Where a deployed model's time goes: per-op-type totals of batch-1 runs.

    python tools/deployment/profile_deployed.py MODEL.onnx|MODEL.xml \
        [--runs 20] [--threads 2] [--top 12]

ONNX Runtime: its built-in profiler (kernel time per node); OpenVINO: the
CPU plugin's performance counters (``PERF_COUNT``). Prints, per op type
(for OpenVINO: layer type and the kernel it ran, e.g. ``jit_avx2_I8``), the
milliseconds per inference, the share of the total, and the node count.
"""
from __future__ import annotations
import argparse
import sys

from mmdet_efficientdet.utils.cli import add_threads, positive_int


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='.onnx or OpenVINO .xml')
    parser.add_argument('--runs', type=positive_int, default=20)
    add_threads(parser)
    parser.add_argument('--top', type=positive_int, default=12)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.deployment.profiling import profile_deployed
    print(profile_deployed(args.model, args.runs, args.threads).table(args.top))
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
