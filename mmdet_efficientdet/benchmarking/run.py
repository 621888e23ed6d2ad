"""The benchmark run: every inference path of one model, timed interleaved.

The model is a table level (random weights; a peer of the same level gets
the same weights) or any config + checkpoint (trained, pruned, searched, any
input size; a peer runs its own level next to it). Paths are built by the
measuring layer (:func:`~mmdet_efficientdet.measure.inference_runners`), timed
in one interleaved run and put against the CPU's attainable peak
(:func:`~mmdet_efficientdet.measure.peak.attainable_peak`).
"""
from __future__ import annotations
import copy
import os.path as osp
import statistics
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch

from ..deployment import (calibration_batches, deploy_model, evaluate_deployed, fold_bn_into_convs,
                          get_inference_path, size_problems)
from ..evaluation import DetectionEvaluator
from ..measure import INFERENCE_PATHS, check_inference_paths, inference_runners, measure_complexity
from ..measure.coco_detector import build_coco_detector
from ..measure.memory import peak_train_memory
from ..measure.peak import attainable_peak, peak_share
from ..measure.peer import Peer, load_factory
from ..measure.train_step import train_step_fn
from ..models.trained import load_trained
from ..utils.image_size import ImageSize, ImageSizeLike, to_image_size
from ..utils.timing import interleaved_times, p90
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


@dataclass
class Subject:
    """The model a benchmark measures.

    Attributes:
        name (str): Report label (the level, or the config's file stem).
        config (str): Its config file.
        checkpoint (str, optional): Its weights (None: random).
        model (nn.Module): The eval-mode detector.
        size (tuple[int, int]): ``(H, W)`` input.
        level (str, optional): The table level it is (a peer of that level
            then computes the same function).
    """
    name: str
    config: str
    checkpoint: Optional[str]
    model: torch.nn.Module
    size: ImageSize
    level: Optional[str] = None


@dataclass
class PeerSpec:
    """Another implementation timed next to ours.

    Attributes:
        factory (str): ``'module:function'`` making the :class:`Peer`.
        level (str): Its level (effdet's ``tf_efficientdet_<level>``).
        image_size (int): Its square input.
        config (str): Our ported config of that level (its multiply-adds).
    """
    factory: str
    level: str
    image_size: int
    config: str


def level_subject(config: str, level: str, image_size: ImageSizeLike) -> Subject:
    """A table level with random weights, COCO's 90 classes, square input."""
    return Subject(level, config, None, build_coco_detector(config), to_image_size(image_size),
                   level)


def trained_subject(config: str,
                    checkpoint: Optional[str],
                    image_size: Optional[ImageSizeLike] = None) -> Subject:
    """Any config with its checkpoint (every weight checked to fit), at the
    config's ``image_size`` unless ``image_size`` ``(H, W)`` is given."""

    cfg, model = load_trained(config, checkpoint)
    size = to_image_size(image_size or cfg.image_size)
    return Subject(osp.splitext(osp.basename(config))[0], config, checkpoint, model, size)


def _class_diff(a: Sequence, b: Sequence) -> float:
    """Largest |a - b| over two sequences of class-score maps."""
    return max(float((torch.as_tensor(p) - torch.as_tensor(q)).abs().max()) for p, q in zip(a, b))


def _output_diffs(model: torch.nn.Module, runners: Dict[str, Callable],
                  x: torch.Tensor) -> Tuple[Dict[str, float], float]:
    """Max |class output - the eager model's| of every other runner, and
    the float32 noise floor (eager float32 vs the same model in float64)."""
    with torch.no_grad():
        eager = model._forward(x)[0]
        diffs = {name: _class_diff(eager, fn(x)[0]) for name, fn in runners.items()}
        wide = copy.deepcopy(model).double()
        floor = _class_diff(eager, wide._forward(x.double())[0])
    return diffs, floor


def _time_paths(entries: Dict[str, Tuple[Callable, ImageSize, float]], batch: int, runs: int,
                warmup: int) -> Dict[str, Dict[str, float]]:
    """Batch-1 latency (median, p90) and throughput at ``batch`` of every
    runner, all in one interleaved run; achieved GFLOP/s from the
    multiply-adds.

    Args:
        entries: row name -> (raw forward, its ``(H, W)`` input, GMACs).
    """
    inputs = {
        name: (torch.randn(1, 3, *size), torch.randn(batch, 3, *size))
        for name, (_, size, _) in entries.items()
    }
    with torch.no_grad():
        lat = interleaved_times(
            {
                n: (lambda f=e[0], x=inputs[n][0]: f(x))
                for n, e in entries.items()
            }, runs, warmup)
        thr = interleaved_times(
            {
                n: (lambda f=e[0], x=inputs[n][1]: f(x))
                for n, e in entries.items()
            }, max(3, runs // 4), 1)
    results = {}
    for name, (_, _, gmacs) in entries.items():
        median = statistics.median(lat[name])
        results[name] = dict(
            median_ms=median * 1e3,
            p90_ms=p90(lat[name]) * 1e3,
            gflops=2 * gmacs / median,
            img_per_s=batch / statistics.median(thr[name]))
    return results


def _train_rows(subject: Subject, peer: Optional[Peer], spec: Optional[PeerSpec], train_batch: int,
                train_runs: int, memory_batch: Optional[int], threads: int,
                extra_path: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """Train-step ms (interleaved with the peer's) and, with
    ``memory_batch``, the peak training memory of each in its own process."""
    model = copy.deepcopy(subject.model)
    fns = {'ours': train_step_fn(model, train_batch, subject.size[0])}
    if peer is not None:
        fns[peer.name] = peer.train_step(train_batch, spec.image_size)
    rows = {
        f'{name} eager': dict(train_step_ms=statistics.median(values) * 1e3)
        for name, values in interleaved_times(fns, train_runs, 1).items()
    }
    if memory_batch:
        rows['ours eager']['train_peak_mb'] = peak_train_memory(
            subject.config,
            subject.size[0],
            memory_batch,
            threads,
            coco=subject.level is not None,
            extra_path=extra_path)
        if peer is not None:
            rows[f'{peer.name} eager']['train_peak_mb'] = peak_train_memory(
                spec.config,
                spec.image_size,
                memory_batch,
                threads,
                peer=(spec.factory, spec.level),
                extra_path=extra_path)
    return rows


def evaluate_paths(config: str,
                   checkpoint: str,
                   targets: Sequence[str],
                   threads: int,
                   calib_images: int,
                   log: Callable[[str], None] = print) -> Dict[str, float]:
    """bbox mAP of every path rebuilt from a trained checkpoint.

    Eager, BN-folded, and the files :func:`deploy_model` builds at the
    config's image size (int8 calibrated on ``calib_images`` training images,
    ORT float nodes chosen by measurement), each scored by the one
    :class:`~mmdet_efficientdet.evaluation.DetectionEvaluator` (the files
    through :func:`~mmdet_efficientdet.deployment.evaluate_deployed`, as
    ``test_deployed.py`` scores them). A target whose runtime cannot run the
    config's size (ExecuTorch below a 2x2 coarsest map) is left out, with
    its reason logged.
    """
    cfg, model = load_trained(config, checkpoint)
    size = (cfg.image_size, ) * 2
    problems = size_problems(model, size, targets)
    for target, problem in problems.items():
        log(f'{target}: no mAP at the config\'s {size[0]}x{size[1]}: {problem}')
    targets = [t for t in targets if t not in problems]
    evaluate = DetectionEvaluator(cfg)
    scores = {'ours eager': evaluate(model)}
    batches = calibration_batches(cfg, calib_images) if any(
        get_inference_path(t).needs_calibration for t in targets) else []
    with tempfile.TemporaryDirectory() as work_dir:
        files = deploy_model(
            model, work_dir, size, targets, batches, log=lambda line: None) if targets else {}
        scores['ours fused'] = evaluate(fold_bn_into_convs(model))
        for target, file in files.items():
            scores[f'ours {target}'] = evaluate_deployed(cfg, file, threads,
                                                         evaluate)['coco/bbox_mAP']
    return scores


def _latency_rows(subject: Subject, peer: Optional[PeerSpec], peer_obj,
                  inference_names: Sequence[str], threads: int, keep_files: Optional[str],
                  timing: Tuple[int, int, int], gmacs: float, step) -> Tuple[Dict, Dict, float]:
    """Every path of ours (and the peer's eager) timed in one interleaved
    run, and the outputs of each compared with ours eager.

    Returns:
        tuple: ``(rows by name, output differences, float32 noise floor)``.
    """
    model, size = subject.model, subject.size
    with tempfile.TemporaryDirectory() as tmp:
        runners = inference_runners(model, size, inference_names, keep_files or tmp, threads)
        entries = {f'ours {p}': (runner, size, gmacs) for p, runner in runners.items()}
        step('built and exported')
        compared = {k: v[0] for k, v in entries.items() if k != 'ours eager'}
        if peer_obj is not None:
            entries[f'{peer_obj.name} eager'] = _peer_entry(subject, peer, peer_obj, gmacs)
            if peer_obj.shares_weights:
                compared[f'{peer_obj.name} eager'] = peer_obj.model
        diffs, floor = _output_diffs(model, compared, torch.randn(1, 3, *size))
        results = _time_paths(entries, *timing)
        step('latency and throughput (interleaved)')
    return results, diffs, floor


def _peak_and_map(results: Dict, inference_names: Sequence[str], threads: int, peak: bool,
                  map_files: Optional[Tuple[str, str]], calib_images: int, step):
    """Add each deployed path's share of the attainable peak and, with
    ``map_files``, every path's mAP to ``results``; returns the peak probe
    (None without ``peak``)."""
    deployed = [p for p in inference_names if get_inference_path(p).deployed]
    probe = attainable_peak(threads, targets=deployed) if peak else None
    if probe is not None:
        _add_peak_shares(results, probe)
        step('attainable peak')
    if map_files:
        scores = evaluate_paths(*map_files, deployed, threads, calib_images)
        for name, value in scores.items():
            if name in results:
                results[name]['mAP'] = value * 100
        step('mAP of every path')
    return probe


def run_benchmark(subject: Subject,
                  threads: int = 2,
                  runs: int = 20,
                  warmup: int = 3,
                  batch: int = 4,
                  train_batch: int = 2,
                  train_runs: int = 5,
                  memory_batch: Optional[int] = 8,
                  inference_names: Optional[Sequence[str]] = None,
                  map_files: Optional[Tuple[str, str]] = None,
                  calib_images: int = 8,
                  keep_files: Optional[str] = None,
                  peer: Optional[PeerSpec] = None,
                  peak: bool = True,
                  extra_path: Sequence[str] = (),
                  progress: bool = True) -> BenchmarkResult:
    """Measure one model on this CPU.

    Batch-1 latency (median, p90) of every inference path
    (:func:`~mmdet_efficientdet.measure.inference_runners`; int8 calibrated on
    random images: latency does not depend on the scales), throughput at
    ``batch``, a training step, training's peak memory (a fresh process per
    implementation) and each path's share of the CPU's attainable peak. All
    paths are timed interleaved, so ratios come from one run.

    Args:
        subject: The model (:func:`level_subject`, :func:`trained_subject`).
        memory_batch: Batch of the peak-memory runs (None: skip them).
        inference_names: Inference paths (default: every one of
            :data:`~mmdet_efficientdet.measure.INFERENCE_PATHS`).
        map_files: ``(config, checkpoint)`` whose every path is rebuilt and
            scored on the config's val set.
        keep_files: Keep the latency run's deployed files here (for
            ``profile_deployed.py``); nothing else is written.
        peer: A :class:`Peer` timed next to ours (with our weights, and
            its outputs compared, when ``subject`` is that level at that
            size).
        peak: Measure the attainable peak (:class:`~.result` ``peak``).
        extra_path: ``sys.path`` entries the peer factory needs (also in the
            memory subprocess).

    Returns:
        BenchmarkResult: every number, measured once.
    """
    sys.path[:0] = [entry for entry in extra_path if entry not in sys.path]
    inference_names = list(inference_names or INFERENCE_PATHS)
    check_inference_paths(inference_names)
    torch.set_num_threads(threads)
    gmacs = measure_complexity(subject.model, *subject.size).flops / 1e9
    bar = _Progress(4 + bool(memory_batch) + bool(map_files) + peak) if progress else None
    step = bar.step if bar else (lambda label: None)
    peer_obj = _make_peer(subject, peer) if peer else None
    results, diffs, floor = _latency_rows(subject, peer, peer_obj, inference_names, threads,
                                          keep_files, (batch, runs, warmup), gmacs, step)
    for name, values in _train_rows(subject, peer_obj, peer, train_batch, train_runs, memory_batch,
                                    threads, extra_path).items():
        results[name].update(values)
    step('train step and memory')
    probe = _peak_and_map(results, inference_names, threads, peak, map_files, calib_images, step)
    step('done')
    return BenchmarkResult(
        subject=subject.name,
        checkpoint=subject.checkpoint,
        image_size=list(subject.size),
        threads=threads,
        torch_threads=torch.get_num_threads(),
        gmacs=gmacs,
        batch=batch,
        train_batch=train_batch,
        memory_batch=memory_batch,
        diffs=diffs,
        float32_noise_floor=floor,
        results=results,
        peer=peer_obj.name if peer_obj else None,
        peer_level=peer.level if peer else None,
        peer_image_size=peer.image_size if peer else None,
        peak=probe.__dict__ if probe else None,
        map_config=map_files[0] if map_files else None,
        map_checkpoint=map_files[1] if map_files else None)


def _make_peer(subject: Subject, spec: PeerSpec) -> Peer:
    """The peer: with our weights (``shares_weights``) when the subject is
    its level at its size, else its own random weights."""
    shared = subject.level == spec.level and subject.size == (spec.image_size, ) * 2
    peer = load_factory(spec.factory)(subject.model if shared else None, spec.level,
                                      spec.image_size)
    peer.shares_weights = shared
    return peer


def _peer_entry(subject: Subject, spec: PeerSpec, peer: Peer,
                gmacs: float) -> Tuple[Callable, ImageSize, float]:
    """The peer's timing entry at its own input size; its multiply-adds are
    ours when it computes our function, else its level's (our ported
    config at its size: the same network)."""
    size = (spec.image_size, ) * 2
    if not peer.shares_weights:
        gmacs = measure_complexity(build_coco_detector(spec.config), *size).flops / 1e9
    return peer.model, size, gmacs


def _add_peak_shares(results: Dict[str, Dict[str, float]], probe) -> None:
    """Each of our paths' achieved GFLOP/s as a percentage of the
    attainable peak of its own runtime and precision."""
    for name, row in results.items():
        if name.startswith('ours '):
            share = peak_share(row['gflops'], name[len('ours '):], probe)
            if share is not None:
                row['peak_share'] = share * 100
