"""CPU speed/memory benchmark of EfficientDet, optionally against effdet.

    .venv/bin/python tools/analysis_tools/benchmark.py --level d0 --compare-effdet

For one D-level and input size it measures, with a fixed thread count:
batch-1 inference latency (median, p90 over warm runs) of our eager model,
our optimised paths (conv+BN fused; ONNX Runtime fp32 and int8; OpenVINO
fp32 and int8, as ``tools/deployment/deploy.py`` builds them), throughput
at a larger batch, one training step (forward + backward + SGD step) and the
peak memory (max RSS of a separate process) of training steps at
``--memory-batch`` (8). Achieved GFLOP/s are given against the model's
multiply-adds (x2 FLOPs). ``--compare-effdet`` builds rwightman's effdet
model (test tooling in ``.refenv``, ``make refenv``), loads the same weights
into ours through the converter, checks the outputs agree, and prints ratios
ours / effdet.

The paths being compared are timed interleaved (one call of each in turn, per
round), so a noisy machine slows them alike and the ratios stay meaningful.
Output differences of the optimised paths are printed next to the float32
noise floor: how far our float32 eager model is from the same model in
float64. The int8 paths of the latency run are calibrated on random images
(latency does not depend on the scales) with every node in int8
(``deploy.py --keep-float auto`` leaves at most three convs in float; for the
demo-trained D0 it keeps the stem conv).

``--map-config CONFIG --map-checkpoint CKPT`` also builds every path from that
trained checkpoint at the config's image size (int8 calibrated on
``--calib-images`` training images, float nodes chosen by measurement) and
prints each path's bbox mAP on the config's val set, through the config's
own pre-/post-processing and evaluator (``tools/test.py`` for the PyTorch
paths, ``tools/deployment/test_deployed.py``'s model for the files).
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
from typing import Dict

import torch

from mmdet_efficientdet.timing import interleaved_times as timed
from mmdet_efficientdet.timing import p90

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--level', default='d0',
                        help='d0 ... d7x, lite0 ... lite4')
    parser.add_argument('--image-size', type=int, default=None,
                        help='square input (default: the level\'s native)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch', type=int, default=4,
                        help='batch for the throughput run')
    parser.add_argument('--train-batch', type=int, default=2)
    parser.add_argument('--train-runs', type=int, default=5)
    parser.add_argument('--memory-batch', type=int, default=8,
                        help='batch of the peak-memory training runs')
    parser.add_argument('--compare-effdet', action='store_true')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory subprocesses')
    parser.add_argument('--no-deployed', action='store_true',
                        help='skip the int8 and OpenVINO paths')
    parser.add_argument('--calib-images', type=int, default=8,
                        help='int8 calibration images')
    parser.add_argument('--map-config', default=None,
                        help='also print every path\'s mAP on this '
                        'config\'s val set ...')
    parser.add_argument('--map-checkpoint', default=None,
                        help='... with this trained checkpoint')
    parser.add_argument('--keep-files', default=None, metavar='DIR',
                        help='keep the latency run\'s deployed files here '
                        '(for tools/deployment/profile_deployed.py)')
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


def ported_config(level: str) -> str:
    return osp.join(REPO, 'configs', 'efficientdet', 'ported',
                    f'tf_efficientdet_{level}_coco.py')


def build_pair(level: str, image_size: int, with_effdet: bool):
    """Our model (ported config, 90 classes) and effdet's, same (random)
    weights, initialised as the parity check does (O(1) activations)."""
    sys.path.insert(0, REPO)
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
        from reference.effdet_ref import create_reference_model, randomize_

        from mmdet_efficientdet.converters import convert_effdet
        ref = create_reference_model(f'tf_efficientdet_{level}',
                                     image_size=image_size)
        randomize_(ref, 1)
        state, _ = convert_effdet(ref.state_dict(), ours)
        ours.load_state_dict(state, strict=True)
    return ours.eval(), ref, cfg


def train_step_fns(ours, ref, batch: int, size: int):
    """Callables doing one SGD step on random data, for ours and effdet
    (either may be None)."""
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
    if ours is not None:
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
    if impl == 'effdet':
        del ours  # only effdet's training is measured in this process
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn = train_step_fns(None if impl == 'effdet' else ours, ref,
                        args.memory_batch, size)[impl]
    for _ in range(2):
        fn()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(peak_mb=peak / 1024, before_mb=base / 1024)))


def measure_memory(args, impl: str) -> Dict[str, float]:
    cmd = [sys.executable, osp.abspath(__file__), '--level', args.level,
           '--image-size', str(args.image_size), '--threads', str(args.threads),
           '--memory-batch', str(args.memory_batch), '--_memory-worker', impl]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONWARNINGS='ignore'))
    return json.loads(out.stdout.strip().splitlines()[-1])


def split_levels(outputs):
    """Raw deployed outputs ``cls_0.., box_0..`` -> ``(cls list, box list)``
    like ``EfficientDet._forward``."""
    levels = len(outputs) // 2
    return outputs[:levels], outputs[levels:]


def max_abs_diff(a, b) -> float:
    """Largest |a - b| over two sequences of class-score maps."""
    return max(float((torch.as_tensor(p) - torch.as_tensor(q)).abs().max())
               for p, q in zip(a, b))


def evaluate_paths(config: str, checkpoint: str, targets, threads: int,
                   calib_images: int, work_dir: str) -> Dict[str, float]:
    """bbox mAP of every path built from a trained checkpoint.

    Each path (eager, fused, and the files ``deploy_model`` builds at the
    config's image size, int8 calibrated on ``calib_images`` training images,
    ORT float nodes chosen by measurement) runs the config's val dataloader,
    head post-processing and evaluator (``DetectionEvaluator``; the files
    through ``DeployedEfficientDet``), as ``tools/test.py`` and
    ``tools/deployment/test_deployed.py`` do. Returns path name -> mAP.
    """
    from mmdet_efficientdet.deployment import (DeployedEfficientDet,
                                               fuse_conv_bn)
    from mmdet_efficientdet.deployment.quantize import (calibration_batches,
                                                        deploy_model)
    from mmdet_efficientdet.pruning import DetectionEvaluator
    from mmdet_efficientdet.utils import load_trained
    cfg, model = load_trained(config, checkpoint)
    evaluate = DetectionEvaluator(cfg)
    scores = {'ours eager': evaluate(model)}
    batches = calibration_batches(cfg, calib_images) if any(
        t.endswith('int8') for t in targets) else []
    files = deploy_model(model, work_dir, (cfg.image_size, cfg.image_size),
                         targets, batches)
    scores['ours fused'] = evaluate(fuse_conv_bn(model))
    for target, file in files.items():
        scores[f'ours {target}'] = evaluate(DeployedEfficientDet(
            cfg.model, file, threads))
    return scores


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_efficientdet.scaling import get_efficientdet_scale
    scale = get_efficientdet_scale(args.level)
    args.image_size = args.image_size or scale.image_size
    if args.memory_worker:
        memory_worker(args)
        return 0
    torch.set_num_threads(args.threads)
    size = args.image_size
    x1 = torch.randn(1, 3, size, size)
    ours, ref, cfg = build_pair(args.level, size, args.compare_effdet)
    import copy

    from mmdet_efficientdet.analysis import measure_complexity
    from mmdet_efficientdet.deployment import fuse_conv_bn, load_backend
    from mmdet_efficientdet.deployment.quantize import deploy_model
    macs = measure_complexity(ours, size, size).flops  # multiply-adds
    steps = 5 + (0 if args.no_memory else 1 + int(args.compare_effdet)) + \
        int(bool(args.map_config))
    bar = Progress(steps)
    xb = torch.randn(args.batch, 3, size, size)

    # the paths: eager ours (and effdet), fused, ONNX Runtime, OpenVINO
    fused = fuse_conv_bn(copy.deepcopy(ours))
    targets = ['ort-fp32'] + ([] if args.no_deployed else
                              ['ort-int8', 'ov-fp32', 'ov-int8'])
    gen = torch.Generator().manual_seed(0)
    calib = [torch.randn(1, 3, size, size, generator=gen).numpy()
             for _ in range(args.calib_images)]
    tmp = tempfile.TemporaryDirectory()  # pylint: disable=consider-using-with
    files = deploy_model(ours, args.keep_files or tmp.name, (size, size),
                         targets, calib,
                         keep_float=['none'],
                         log=lambda line: None)
    paths = {'ours eager': ours._forward}
    if ref is not None:
        ref.eval()
        paths['effdet eager'] = ref
    paths['ours fused'] = fused._forward
    for target, file in files.items():
        backend = load_backend(file, args.threads)
        paths[f'ours {target}'] = (
            lambda x, b=backend: split_levels(b.run(x.numpy())))
    bar.step('built and exported')

    with torch.no_grad():
        eager = ours._forward(x1)[0]
        diffs = {name: max_abs_diff(eager, fn(x1)[0])
                 for name, fn in paths.items() if name != 'ours eager'}
        wide = copy.deepcopy(ours).double()
        floor = max_abs_diff(eager, wide._forward(x1.double())[0])
        del wide

    results: Dict[str, Dict[str, float]] = {name: {} for name in paths}
    with torch.no_grad():
        lat = timed({n: (lambda f=f: f(x1)) for n, f in paths.items()},
                    args.runs, args.warmup)
        bar.step('latency (interleaved)')
        thr = timed({n: (lambda f=f: f(xb)) for n, f in paths.items()},
                    max(3, args.runs // 4), 1)
        bar.step(f'throughput batch {args.batch}')
    for name in paths:
        median = statistics.median(lat[name])
        results[name].update(median_ms=median * 1e3, p90_ms=p90(lat[name]) * 1e3,
                             gflops=2 * macs / 1e9 / median,
                             img_per_s=args.batch / statistics.median(thr[name]))

    fns = train_step_fns(ours, ref, args.train_batch, size)
    train = timed(fns, args.train_runs, 1)
    for name in fns:
        results[f'{name} eager']['train_step_ms'] = \
            statistics.median(train[name]) * 1e3
    bar.step('train step (interleaved)')
    if not args.no_memory:
        for impl in fns:
            results[f'{impl} eager']['train_peak_mb'] = measure_memory(
                args, impl)['peak_mb']
            bar.step(f'{impl} peak memory')
    else:
        bar.step('memory skipped')

    if args.map_config:
        with tempfile.TemporaryDirectory() as map_dir:
            scores = evaluate_paths(args.map_config, args.map_checkpoint,
                                    targets, args.threads, args.calib_images,
                                    map_dir)
        for name, value in scores.items():
            results[name]['mAP'] = value * 100
        bar.step('mAP of every path')

    print(f'\nEfficientDet-{args.level.upper()} {size}x{size}, float32, '
          f'{args.threads} threads ({torch.get_num_threads()} used), '
          f'{macs / 1e9:.2f} GMACs; throughput batch {args.batch}, '
          f'train batch {args.train_batch}, memory batch {args.memory_batch}')
    print('max |diff| of class outputs vs our eager model: ' + ', '.join(
        f'{name} {value:.1e}' for name, value in diffs.items()) +
        f'; float32 noise floor (eager vs float64) {floor:.1e}')
    cols = [('median_ms', 'lat ms'), ('p90_ms', 'p90 ms'),
            ('gflops', 'GFLOP/s'), ('img_per_s', 'img/s'),
            ('train_step_ms', 'train ms'), ('train_peak_mb', 'peak MB'),
            ('mAP', 'mAP')]
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
        best = min(v['median_ms'] for k, v in results.items()
                   if k.startswith('ours'))
        print('ratios ours/effdet: eager latency '
              f'{ours_e["median_ms"] / base["median_ms"]:.2f}, best latency '
              f'{best / base["median_ms"]:.2f}, train step '
              f'{ours_e["train_step_ms"] / base["train_step_ms"]:.2f}'
              + (f', train peak memory (batch {args.memory_batch}) '
                 f'{ours_e["train_peak_mb"] / base["train_peak_mb"]:.2f}'
                 if 'train_peak_mb' in base else ''))
    if args.map_config:
        print(f'mAP: bbox mAP x100 on the val set of {args.map_config} with '
              f'{args.map_checkpoint} (paths rebuilt from it at the config\'s '
              f'image size)')
    tmp.cleanup()
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(level=args.level, image_size=size,
                           threads=args.threads, diffs=diffs,
                           float32_noise_floor=floor, results=results),
                      f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
