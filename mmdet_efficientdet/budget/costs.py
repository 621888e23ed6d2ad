"""What a candidate costs on this machine: counted (GMACs, params) or
measured (latency of a deployment path, peak training memory)."""
from __future__ import annotations
import os.path as osp
from typing import Dict, Optional, Tuple

import torch

from ..errors import UserError
from .candidates import Candidate, candidate_config

#: Budget metrics and their units.
METRICS: Dict[str, str] = {
    'gflops': 'GMACs',
    'params': 'M params',
    'latency': 'ms',
    'memory': 'MB peak RSS'
}
#: Inference paths a latency budget can be measured on.
PATHS = ('eager', 'ort-fp32', 'ort-int8', 'ov-fp32', 'ov-int8')


class CostMeter:
    """The cost of candidates under one metric, each measured once.

    ``gflops`` and ``params`` are counted on the built model (multiply-adds
    at the candidate's input, mmengine's ``FlopAnalyzer``); ``latency`` is the
    median batch-1 wall time of ``path`` (eager PyTorch, or the file
    :func:`~mmdet_efficientdet.deployment.deploy_model` builds, int8
    calibrated on random images: latency does not depend on the scales);
    ``memory`` is the max RSS of a fresh process after two training steps at
    ``batch`` (:func:`~mmdet_efficientdet.benchmarking.peak_train_memory`).
    Nothing is estimated from FLOPs.

    Args:
        metric: One of :data:`METRICS`.
        base_config: Absolute path of the complete D0 config the candidates'
            configs inherit from.
        work_dir: Where candidate configs (and deployed files) go.
        path: For ``latency``: one of :data:`PATHS`.
        batch: For ``memory``: training batch size.
        threads, runs: Threads, and timed calls per latency measurement.
    """

    def __init__(self,
                 metric: str,
                 base_config: str,
                 work_dir: str,
                 path: Optional[str] = None,
                 batch: int = 2,
                 threads: int = 2,
                 runs: int = 10) -> None:
        if metric not in METRICS:
            raise UserError(f'--metric {metric!r}: choose from '
                            f'{list(METRICS)}')
        if metric == 'latency' and path not in PATHS:
            raise UserError(f'--path {path!r}: a latency budget needs one of '
                            f'{list(PATHS)}')
        self.metric, self.path, self.batch = metric, path, batch
        self.threads, self.runs = threads, runs
        self.base_config, self.work_dir = base_config, work_dir
        self.costs: Dict[str, float] = {}
        self.gmacs: Dict[str, float] = {}

    @property
    def unit(self) -> str:
        return METRICS[self.metric]

    def config_file(self, candidate: Candidate) -> str:
        """The candidate's config, written into the work dir."""
        path = osp.join(self.work_dir, f'{candidate.name}.py')
        if not osp.exists(path):
            with open(path, 'w') as f:
                f.write(candidate_config(candidate, self.base_config))
        return path

    def build(self, candidate: Candidate):
        """The candidate's model: 90 classes, random weights, eval mode."""
        from mmengine.logging import MMLogger

        from ..benchmarking import build_coco_detector
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')  # init_weights' per-parameter report
        try:
            return build_coco_detector(self.config_file(candidate))
        finally:
            logger.setLevel(level)

    def __call__(self, candidate: Candidate) -> float:
        if candidate.name not in self.costs:
            self.costs[candidate.name] = self._measure(candidate)
        return self.costs[candidate.name]

    def count_gmacs(self, candidate: Candidate) -> float:
        """Multiply-adds (G) at the candidate's input (counted once)."""
        from ..utils.complexity import measure_complexity
        if candidate.name not in self.gmacs:
            size = candidate.image_size
            self.gmacs[candidate.name] = measure_complexity(self.build(candidate), size,
                                                            size).flops / 1e9
        return self.gmacs[candidate.name]

    def _measure(self, candidate: Candidate) -> float:
        size = candidate.image_size
        torch.set_num_threads(self.threads)
        if self.metric == 'gflops':
            return self.count_gmacs(candidate)
        if self.metric == 'params':
            from ..utils.complexity import count_params
            return count_params(self.build(candidate)) / 1e6
        if self.metric == 'memory':
            from ..benchmarking import peak_train_memory
            return peak_train_memory(
                self.config_file(candidate), candidate.name, size, self.batch, self.threads)
        return self._latency(candidate)

    def _latency(self, candidate: Candidate) -> float:
        return measure_latency(
            self.build(candidate), candidate.image_size, self.path, self.work_dir, self.threads,
            self.runs)


def measure_latency(model: torch.nn.Module,
                    size: int,
                    path: str,
                    work_dir: str,
                    threads: int = 2,
                    runs: int = 10) -> float:
    """Median batch-1 latency (ms) of one model on an inference path
    (:func:`measure_latencies` of one)."""
    return measure_latencies({'model': (model, size)}, path, work_dir, threads, runs)['model']


def measure_latencies(models: Dict[str, Tuple[torch.nn.Module, int]],
                      path: str,
                      work_dir: str,
                      threads: int = 2,
                      runs: int = 10) -> Dict[str, float]:
    """Median batch-1 latency (ms) of each model on an inference path,
    timed in one interleaved run (background load slows all alike).

    Args:
        models: name -> (detector, square input side).
        path: One of :data:`PATHS`: eager PyTorch, or the file
            :func:`~mmdet_efficientdet.deployment.deploy_model` builds in a
            temporary folder under ``work_dir`` (int8 calibrated on random
            images: latency does not depend on the scales).
        work_dir: Where the temporary deployed files go.
        threads: Intra-op threads.
        runs: Timed calls of each (after 2 warm-up calls).
    """
    import os.path as osp
    import tempfile

    from ..deployment import deploy_model, load_backend
    from ..timing import median_ms
    if path not in PATHS:
        raise UserError(f'--path {path!r}: choose from {list(PATHS)}')
    torch.set_num_threads(threads)
    calls = {}
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        for i, (name, (model, size)) in enumerate(models.items()):
            model = model.eval()
            x = torch.randn(1, 3, size, size)
            if path == 'eager':
                calls[name] = lambda model=model, x=x: model._forward(x)
                continue
            gen = torch.Generator().manual_seed(0)
            calib = [torch.randn(1, 3, size, size, generator=gen).numpy() for _ in range(4)]
            files = deploy_model(
                model,
                osp.join(tmp, str(i)), (size, size), [path],
                calib,
                keep_float=['none'],
                log=lambda line: None)
            backend = load_backend(files[path], threads)
            calls[name] = lambda backend=backend, array=x.numpy(): backend.run(array)
        with torch.no_grad():
            return median_ms(calls, runs, 2)
