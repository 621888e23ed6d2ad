#!/usr/bin/env python
"""Where a deployed model's time goes: per-op-type totals of one batch-1 run.

    .venv/bin/python tools/deployment/profile_deployed.py MODEL.onnx|MODEL.xml \
        [--runs 20] [--threads 2] [--top 12]

ONNX Runtime: its built-in profiler (kernel time per node); OpenVINO: the
CPU plugin's performance counters (``PERF_COUNT``). Prints, per op type
(for OpenVINO: layer type and the kernel it ran, e.g. ``jit_avx512_I8``), the
milliseconds per inference, the share of the total, and the node count.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import os.path as osp
import sys
import tempfile


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model')
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--top', type=int, default=12)
    return parser.parse_args(argv)


def profile_onnxruntime(path: str, runs: int, threads: int):
    import numpy as np
    import onnxruntime as ort
    tmp = tempfile.mkdtemp()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_profiling = True
    options.profile_file_prefix = osp.join(tmp, 'ort')
    session = ort.InferenceSession(path, options,
                                   providers=['CPUExecutionProvider'])
    shape = [1] + [int(s) for s in session.get_inputs()[0].shape[1:]]
    x = np.random.randn(*shape).astype(np.float32)
    for _ in range(3):
        session.run(None, {'input': x})
    trace = session.end_profiling()
    # second session so the warm-up is not in the trace
    session = ort.InferenceSession(path, options,
                                   providers=['CPUExecutionProvider'])
    for _ in range(3):
        session.run(None, {'input': x})
    os.remove(trace)
    options.enable_profiling = True
    for _ in range(runs):
        session.run(None, {'input': x})
    trace = session.end_profiling()
    events = json.load(open(trace))
    totals = collections.defaultdict(float)
    counts = collections.Counter()
    for event in events:
        if event.get('cat') == 'Node' and event['name'].endswith('_kernel_time'):
            op = event.get('args', {}).get('op_name', '?')
            totals[op] += event['dur'] / 1e3 / runs
            counts[op] += 1
    return totals, {k: v // runs for k, v in counts.items()}


def profile_openvino(path: str, runs: int, threads: int):
    import numpy as np
    import openvino as ov
    core = ov.Core()
    model = core.read_model(path)
    compiled = core.compile_model(model, 'CPU', {
        'PERF_COUNT': True, 'INFERENCE_NUM_THREADS': threads,
        'INFERENCE_PRECISION_HINT': 'f32'})
    request = compiled.create_infer_request()
    shape = [1] + [d.get_length() for d in
                   list(model.inputs[0].get_partial_shape())[1:]]
    x = np.random.randn(*shape).astype(np.float32)
    totals = collections.defaultdict(float)
    counts = collections.Counter()
    for _ in range(3):
        request.infer({0: x})
    for _ in range(runs):
        request.infer({0: x})
        for info in request.profiling_info:
            if info.status != info.Status.EXECUTED:
                continue
            key = f'{info.node_type} [{info.exec_type}]'
            totals[key] += info.real_time.total_seconds() * 1e3 / runs
            counts[key] += 1
    return totals, {k: v // runs for k, v in counts.items()}


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.model):
        raise FileNotFoundError(f'{args.model!r} not found')
    if args.model.endswith('.xml'):
        totals, counts = profile_openvino(args.model, args.runs, args.threads)
    else:
        totals, counts = profile_onnxruntime(args.model, args.runs,
                                             args.threads)
    total = sum(totals.values())
    print(f'{args.model}: {total:.1f} ms of kernels per inference '
          f'({args.threads} threads, mean of {args.runs} runs)')
    print(f'{"op":<44}{"ms":>8}{"share":>8}{"nodes":>7}')
    for op, ms in sorted(totals.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f'{op:<44}{ms:>8.2f}{ms / total:>8.1%}{counts[op]:>7}')
    return 0


if __name__ == '__main__':
    from mmdet_efficientdet.utils import run_cli
    sys.exit(run_cli(main))
