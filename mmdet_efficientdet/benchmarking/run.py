"""The benchmark run: every inference path of one model, timed interleaved."""
from __future__ import annotations
import copy
import statistics
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

import torch

from .coco_detector import build_coco_detector
from .peer import Peer, load_factory
from .result import BenchmarkResult


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream

    def step(self, label: str) -> None:
        self.done += 1
        filled = int(30 * self.done / self.total)
        self.stream.write(f'\r[{"#" * filled}{"." * (30 - filled)}] '
                          f'{self.done}/{self.total} {label:<40}')
        if self.done == self.total:
            self.stream.write('\n')
        self.stream.flush()


def _class_diff(a: Sequence, b: Sequence) -> float:
    """Largest |a - b| over two sequences of class-score maps."""
    return max(float((torch.as_tensor(p) - torch.as_tensor(q)).abs().max()) for p, q in zip(a, b))


def _split_levels(outputs: Sequence) -> tuple:
    """Raw deployed outputs ``cls_0.., box_0..`` -> ``(cls list, box list)``."""
    levels = len(outputs) // 2
    return outputs[:levels], outputs[levels:]


def evaluate_paths(config: str, checkpoint: str, targets: Sequence[str], threads: int,
                   calib_images: int) -> Dict[str, float]:
    """bbox mAP of every path rebuilt from a trained checkpoint.

    Eager, BN-folded, and the files :func:`deploy_model` builds at the
    config's image size (int8 calibrated on ``calib_images`` training images,
    ORT float nodes chosen by measurement), each scored by the one
    :class:`~mmdet_efficientdet.evaluation.DetectionEvaluator` (the files
    through :func:`~mmdet_efficientdet.deployment.evaluate_deployed`, as
    ``test_deployed.py`` scores them).
    """
    from ..deployment import (calibration_batches, deploy_model, evaluate_deployed,
                              fold_bn_into_convs)
    from ..evaluation import DetectionEvaluator
    from ..utils import load_trained
    cfg, model = load_trained(config, checkpoint)
    evaluate = DetectionEvaluator(cfg)
    scores = {'ours eager': evaluate(model)}
    batches = calibration_batches(cfg, calib_images) if any(t.endswith('int8')
                                                            for t in targets) else []
    with tempfile.TemporaryDirectory() as work_dir:
        files = deploy_model(
            model, work_dir, (cfg.image_size, ) * 2, targets, batches, log=lambda line: None)
        scores['ours fused'] = evaluate(fold_bn_into_convs(model))
        for target, file in files.items():
            scores[f'ours {target}'] = evaluate_deployed(cfg, file, threads,
                                                         evaluate)['coco/bbox_mAP']
    return scores


def run_benchmark(config: str,
                  level: str,
                  image_size: int,
                  threads: int = 2,
                  runs: int = 20,
                  warmup: int = 3,
                  batch: int = 4,
                  train_batch: int = 2,
                  train_runs: int = 5,
                  memory_batch: int = 8,
                  memory: bool = True,
                  deployed: bool = True,
                  calib_images: int = 8,
                  map_config: Optional[str] = None,
                  map_checkpoint: Optional[str] = None,
                  keep_files: Optional[str] = None,
                  peer_factory: Optional[str] = None,
                  extra_path: Sequence[str] = (),
                  progress: bool = True) -> BenchmarkResult:
    """Measure one model on this CPU.

    Batch-1 latency (median, p90) of our eager model, the BN-folded model and
    the deployed files (ONNX Runtime fp32/int8, OpenVINO fp32/int8, built by
    :func:`~mmdet_efficientdet.deployment.deploy_model`; int8 calibrated on
    random images with every node in int8: latency does not depend on the
    scales), throughput at ``batch``, one training step at ``train_batch``
    and the peak memory of training at ``memory_batch`` (a fresh process per
    implementation). All paths are timed interleaved, so ratios come from one
    run. With ``peer_factory`` (``'module:function'``, :class:`Peer`) the
    peer runs next to ours with the same weights; with ``map_config`` /
    ``map_checkpoint`` every path is rebuilt from that checkpoint and scored.

    Args:
        config: The model config benchmarked (random weights).
        level: Its level name (for the peer and the report).
        image_size: Square input.
        keep_files: Keep the latency run's deployed files here (for
            ``profile_deployed.py``); nothing else is written.
        extra_path: ``sys.path`` entries the peer factory needs (also in the
            memory subprocess).

    Returns:
        BenchmarkResult: every number, measured once.
    """
    from ..deployment import deploy_model, deploy_targets, fold_bn_into_convs, load_backend
    from ..measure.complexity import measure_complexity
    from ..measure.timing import interleaved_times, p90
    from .memory import peak_train_memory
    from .train_step import train_step_fn
    for entry in extra_path:
        if entry not in sys.path:
            sys.path.insert(0, entry)
    torch.set_num_threads(threads)
    size = image_size
    ours = build_coco_detector(config)
    peer: Optional[Peer] = load_factory(peer_factory)(ours, level, size) \
        if peer_factory else None
    macs = measure_complexity(ours, size, size).flops
    bar = _Progress(5 + (0 if not memory else 1 + bool(peer)) +
                    bool(map_config)) if progress else None
    step = bar.step if bar else (lambda label: None)

    targets: List[str] = [t for t in deploy_targets() if deployed or t == 'ort-fp32']
    gen = torch.Generator().manual_seed(0)
    calib = [torch.randn(1, 3, size, size, generator=gen).numpy() for _ in range(calib_images)]
    with tempfile.TemporaryDirectory() as tmp:
        files = deploy_model(
            ours,
            keep_files or tmp, (size, size),
            targets,
            calib,
            keep_float=['none'],
            log=lambda line: None)
        paths: Dict[str, Callable] = {'ours eager': ours._forward}
        if peer is not None:
            paths[f'{peer.name} eager'] = peer.model.eval()
        paths['ours fused'] = fold_bn_into_convs(copy.deepcopy(ours))._forward
        for target, file in files.items():
            backend = load_backend(file, threads)
            paths[f'ours {target}'] = (lambda x, b=backend: _split_levels(b.run(x.numpy())))
        step('built and exported')

        x1 = torch.randn(1, 3, size, size)
        xb = torch.randn(batch, 3, size, size)
        with torch.no_grad():
            eager = ours._forward(x1)[0]
            diffs = {
                name: _class_diff(eager,
                                  fn(x1)[0])
                for name, fn in paths.items() if name != 'ours eager'
            }
            wide = copy.deepcopy(ours).double()
            floor = _class_diff(eager, wide._forward(x1.double())[0])
            del wide
            lat = interleaved_times({
                n: (lambda f=f: f(x1))
                for n, f in paths.items()
            }, runs, warmup)
            step('latency (interleaved)')
            thr = interleaved_times({
                n: (lambda f=f: f(xb))
                for n, f in paths.items()
            }, max(3, runs // 4), 1)
            step(f'throughput batch {batch}')
    results: Dict[str, Dict[str, float]] = {}
    for name in paths:
        median = statistics.median(lat[name])
        results[name] = dict(
            median_ms=median * 1e3,
            p90_ms=p90(lat[name]) * 1e3,
            gflops=2 * macs / 1e9 / median,
            img_per_s=batch / statistics.median(thr[name]))

    train_fns = {'ours': train_step_fn(ours, train_batch, size)}
    if peer is not None:
        train_fns[peer.name] = peer.train_step(train_batch, size)
    train = interleaved_times(train_fns, train_runs, 1)
    for name, values in train.items():
        results[f'{name} eager']['train_step_ms'] = \
            statistics.median(values) * 1e3
    step('train step (interleaved)')
    if memory:
        results['ours eager']['train_peak_mb'] = peak_train_memory(
            config, level, size, memory_batch, threads, extra_path=extra_path)
        step('ours peak memory')
        if peer is not None:
            results[f'{peer.name} eager']['train_peak_mb'] = \
                peak_train_memory(config, level, size, memory_batch, threads,
                                  peer_factory, extra_path)
            step(f'{peer.name} peak memory')
    else:
        step('memory skipped')
    if map_config:
        scores = evaluate_paths(map_config, map_checkpoint, targets, threads, calib_images)
        for name, value in scores.items():
            results[name]['mAP'] = value * 100
        step('mAP of every path')
    return BenchmarkResult(
        level=level,
        image_size=size,
        threads=threads,
        torch_threads=torch.get_num_threads(),
        gmacs=macs / 1e9,
        batch=batch,
        train_batch=train_batch,
        memory_batch=memory_batch,
        diffs=diffs,
        float32_noise_floor=floor,
        results=results,
        peer=peer.name if peer else None,
        map_config=map_config,
        map_checkpoint=map_checkpoint)
