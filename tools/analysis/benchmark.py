"""CPU speed/memory benchmark of EfficientDet, optionally against effdet.

    .venv/bin/python tools/analysis/benchmark.py --level d0 --compare-effdet

For one D-level and input size it measures, with a fixed thread count:
batch-1 inference latency (median, p90 over warm runs) of our eager model,
our optimised paths (conv+BN fused + channels-last; ONNX Runtime), throughput
at a larger batch, one training step (forward + backward + SGD step) and the
peak memory (max RSS of a separate process) of a training step. Achieved
GFLOP/s are given against the model's multiply-adds (x2 FLOPs).
``--compare-effdet`` builds rwightman's effdet model (test tooling in
``.refenv``, ``make refenv``), loads the same weights into ours through the
converter, checks the outputs agree, and prints ratios ours / effdet.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--level', default='d0', help='d0 ... d7x')
    parser.add_argument('--image-size', type=int, default=None,
                        help='square input (default: the level\'s native)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch', type=int, default=4,
                        help='batch for the throughput run')
    parser.add_argument('--train-batch', type=int, default=2)
    parser.add_argument('--train-runs', type=int, default=5)
    parser.add_argument('--compare-effdet', action='store_true')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory subprocesses')
    parser.add_argument('--json', default=None, help='also write results here')
    parser.add_argument('--_memory-worker', dest='memory_worker',
                        default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    def step(self, label: str) -> None:
        self.done += 1
        filled = int(30 * self.done / self.total)
        sys.stderr.write(f'\r[{"#" * filled}{"." * (30 - filled)}] '
                         f'{self.done}/{self.total} {label:<40}')
        if self.done == self.total:
            sys.stderr.write('\n')
        sys.stderr.flush()


def timed(fn: Callable[[], object], runs: int, warmup: int) -> List[float]:
    """Wall times (s) of ``runs`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def p90(values: List[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]


def ported_config(level: str) -> str:
    return osp.join(REPO, 'configs', 'efficientdet', 'ported',
                    f'tf_efficientdet_{level}_coco.py')


def build_pair(level: str, image_size: int, with_effdet: bool):
    """Our model (ported config, 90 classes) and effdet's, same weights."""
    sys.path.insert(0, osp.join(REPO, 'tests'))
    import mmdet_efficientdet  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    cfg = Config.fromfile(ported_config(level))
    cfg.model.bbox_head.num_classes = 90
    ours = MODELS.build(cfg.model)
    ours.init_weights()
    ref = None
    if with_effdet:
        from reference.effdet_ref import create_reference_model
        from reference.parity import randomize_

        from mmdet_efficientdet.converters import convert_effdet
        ref = create_reference_model(f'tf_efficientdet_{level}',
                                     image_size=image_size)
        randomize_(ref, 1, calib=torch.randn(1, 3, image_size, image_size))
        state, _ = convert_effdet(ref.state_dict(), ours.state_dict(),
                                  max_level=2 + ours.bbox_head.num_levels)
        ours.load_state_dict(state, strict=True)
    return ours.eval(), ref, cfg


def train_step_fns(ours, ref, batch: int, size: int):
    """Callables doing one SGD step on random data, for ours and effdet."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, size, size, generator=gen)
    num_boxes = 8
    xy = torch.rand(batch, num_boxes, 2, generator=gen) * size * 0.6
    wh = torch.rand(batch, num_boxes, 2, generator=gen) * size * 0.35 + 16
    boxes = torch.cat([xy, xy + wh], -1)
    labels = torch.randint(0, 80, (batch, num_boxes), generator=gen)
    samples = []
    for i in range(batch):
        sample = DetDataSample(metainfo=dict(img_shape=(size, size),
                                             pad_shape=(size, size),
                                             batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(bboxes=boxes[i], labels=labels[i])
        samples.append(sample)
    fns = {}
    ours.train()
    opt = torch.optim.SGD(ours.parameters(), lr=1e-4, momentum=0.9)

    def ours_step():
        losses = ours.loss(x, samples)
        loss = sum(v if not isinstance(v, list) else sum(v)
                   for v in losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    fns['ours'] = ours_step
    if ref is not None:
        import effdet
        bench = effdet.DetBenchTrain(ref, create_labeler=True).train()
        ref_opt = torch.optim.SGD(bench.parameters(), lr=1e-4, momentum=0.9)
        target = dict(bbox=boxes[..., [1, 0, 3, 2]], cls=labels.float() + 1,
                      img_scale=torch.ones(batch),
                      img_size=torch.full((batch, 2), float(size)))

        def ref_step():
            loss = bench(x, target)['loss']
            ref_opt.zero_grad()
            loss.backward()
            ref_opt.step()
        fns['effdet'] = ref_step
    return fns


def memory_worker(args) -> None:
    """Subprocess: build one implementation, run train steps, print max RSS."""
    torch.set_num_threads(args.threads)
    impl = args.memory_worker
    size = args.image_size
    ours, ref, _ = build_pair(args.level, size, impl == 'effdet')
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn = train_step_fns(ours, ref, args.train_batch, size)[impl]
    for _ in range(2):
        fn()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(peak_mb=peak / 1024, before_mb=base / 1024)))


def measure_memory(args, impl: str) -> Dict[str, float]:
    cmd = [sys.executable, osp.abspath(__file__), '--level', args.level,
           '--image-size', str(args.image_size), '--threads', str(args.threads),
           '--train-batch', str(args.train_batch), '--_memory-worker', impl]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONWARNINGS='ignore'))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.scaling import EFFICIENTDET_SCALES
    scale = EFFICIENTDET_SCALES[args.level]
    args.image_size = args.image_size or scale.image_size
    if args.memory_worker:
        memory_worker(args)
        return 0
    torch.set_num_threads(args.threads)
    size = args.image_size
    ours, ref, cfg = build_pair(args.level, size, args.compare_effdet)
    from mmdet_efficientdet.analysis import measure_complexity
    from mmdet_efficientdet.deployment import export_onnx, fuse_conv_bn
    macs = measure_complexity(ours, size, size).flops  # multiply-adds
    results: Dict[str, Dict[str, float]] = {}
    steps = 5 + (3 if args.compare_effdet else 0) + (
        0 if args.no_memory else 1 + int(args.compare_effdet))
    bar = Progress(steps)
    x1 = torch.randn(1, 3, size, size)
    xb = torch.randn(args.batch, 3, size, size)

    def record(name, fn, batch_x, key):
        with torch.no_grad():
            times = timed(lambda: fn(batch_x), args.runs if key == 'lat'
                          else max(3, args.runs // 4), args.warmup)
        entry = results.setdefault(name, {})
        if key == 'lat':
            entry['median_ms'] = statistics.median(times) * 1e3
            entry['p90_ms'] = p90(times) * 1e3
            entry['gflops'] = 2 * macs / 1e9 / statistics.median(times)
        else:
            entry['img_per_s'] = batch_x.shape[0] / statistics.median(times)

    record('ours eager', ours._forward, x1, 'lat')
    bar.step('ours eager latency')
    record('ours eager', ours._forward, xb, 'thr')
    bar.step('ours eager throughput')
    if ref is not None:
        ref.eval()
        with torch.no_grad():
            a, b = ours._forward(x1), ref(x1)
        diff = max((p - q).abs().max().item() for p, q in zip(a[0], b[0]))
        record('effdet eager', ref, x1, 'lat')
        bar.step('effdet eager latency')
        record('effdet eager', ref, xb, 'thr')
        bar.step('effdet eager throughput')
    import copy
    fused = fuse_conv_bn(copy.deepcopy(ours)).to(memory_format=torch.channels_last)
    xcl = x1.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        fused_diff = max((p - q).abs().max().item() for p, q in zip(
            ours._forward(x1)[0], fused._forward(xcl)[0]))
    record('ours fused+channels_last', fused._forward, xcl, 'lat')
    bar.step('ours fused latency')
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'model.onnx')
        export_onnx(ours, path, (size, size))
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(path, options,
                                       providers=['CPUExecutionProvider'])
    run_ort = lambda x: session.run(None, {'input': x.numpy()})  # noqa: E731
    with torch.no_grad():
        ort_diff = max(abs(p - q.numpy()).max() for p, q in zip(
            run_ort(x1), ours._forward(x1)[0]))
    record('ours onnxruntime', run_ort, x1, 'lat')
    record('ours onnxruntime', run_ort, xb, 'thr')
    bar.step('onnxruntime')

    fns = train_step_fns(ours, ref, args.train_batch, size)
    for name, fn in fns.items():
        times = timed(fn, args.train_runs, 1)
        results.setdefault(f'{name} eager', {})['train_step_ms'] = \
            statistics.median(times) * 1e3
        bar.step(f'{name} train step')
    if not args.no_memory:
        for impl in fns:
            results[f'{impl} eager']['train_peak_mb'] = measure_memory(
                args, impl)['peak_mb']
            bar.step(f'{impl} peak memory')

    print(f'\nEfficientDet-{args.level.upper()} {size}x{size}, float32, '
          f'{args.threads} threads ({torch.get_num_threads()} used), '
          f'{macs / 1e9:.2f} GMACs; throughput batch {args.batch}, '
          f'train batch {args.train_batch}')
    print(f'max |diff| vs eager: fused {fused_diff:.1e}, onnxruntime '
          f'{ort_diff:.1e}' + (f', effdet {diff:.1e}' if ref is not None
                               else ''))
    cols = [('median_ms', 'lat ms'), ('p90_ms', 'p90 ms'),
            ('gflops', 'GFLOP/s'), ('img_per_s', 'img/s'),
            ('train_step_ms', 'train ms'), ('train_peak_mb', 'peak MB')]
    header = f'{"path":<28}' + ''.join(f'{c[1]:>11}' for c in cols)
    if ref is not None:
        header += f'{"lat/effdet":>12}'
    print(header + '\n' + '-' * len(header))
    base = results.get('effdet eager', {})
    for name, entry in results.items():
        row = f'{name:<28}' + ''.join(
            f'{entry[c[0]]:>11.1f}' if c[0] in entry else f'{"-":>11}'
            for c in cols)
        if base:
            row += f'{entry["median_ms"] / base["median_ms"]:>12.2f}'
        print(row)
    if base:
        ours_e = results['ours eager']
        print('ratios ours/effdet: eager latency '
              f'{ours_e["median_ms"] / base["median_ms"]:.2f}, best latency '
              f'{min(v["median_ms"] for k, v in results.items() if k.startswith("ours")) / base["median_ms"]:.2f}'
              f', train step {ours_e["train_step_ms"] / base["train_step_ms"]:.2f}'
              + (f', train peak memory '
                 f'{ours_e["train_peak_mb"] / base["train_peak_mb"]:.2f}'
                 if 'train_peak_mb' in base else ''))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(level=args.level, image_size=size,
                           threads=args.threads, results=results), f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
