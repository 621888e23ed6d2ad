"""What a candidate costs on this machine: counted (GMACs, params) or
measured (latency of a deployment path, peak training memory)."""
from __future__ import annotations
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.logging import MMLogger

from ..errors import UserError
from ..measure import build_coco_detector, peak_train_memory
from ..measure.complexity import count_params, measure_complexity
from ..measure.latency import INFERENCE_PATHS, measure_latency
from .candidates import Candidate, candidate_config

#: Budget metrics and their units.
METRICS: Dict[str, str] = {
    'gflops': 'GMACs',
    'params': 'M params',
    'latency': 'ms',
    'memory': 'MB peak RSS'
}


class CostMeter:
    """The cost of candidates under one metric, each measured once.

    ``gflops`` and ``params`` are counted on the built model (multiply-adds
    at the candidate's input,
    :func:`~mmdet_efficientdet.measure.complexity.count_macs`); ``latency`` is the
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
        inference_path: For ``latency``: one of
            :data:`~mmdet_efficientdet.measure.latency.INFERENCE_PATHS`.
        batch: For ``memory``: training batch size.
        threads, runs: Threads, and timed calls per latency measurement.
    """

    def __init__(self,
                 metric: str,
                 base_config: str,
                 work_dir: str,
                 inference_path: Optional[str] = None,
                 batch: int = 2,
                 threads: int = 2,
                 runs: int = 10) -> None:
        if metric not in METRICS:
            raise UserError(f'--metric {metric!r}: choose from '
                            f'{list(METRICS)}')
        if metric == 'latency' and inference_path not in INFERENCE_PATHS:
            raise UserError(f'--target {inference_path!r}: a latency budget needs one of '
                            f'{list(INFERENCE_PATHS)}')
        self.metric, self.inference_path, self.batch = metric, inference_path, batch
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
            return count_params(self.build(candidate)) / 1e6
        if self.metric == 'memory':
            return peak_train_memory(self.config_file(candidate), size, self.batch, self.threads)
        return self._latency(candidate)

    def _latency(self, candidate: Candidate) -> float:
        return measure_latency(
            self.build(candidate), candidate.image_size, self.inference_path, self.work_dir,
            self.threads, self.runs)
