"""CPU benchmark of one EfficientDet - a table level or any config +
checkpoint: latency of every inference path, its share of the CPU's peak,
throughput, a training step, peak training memory and mAP, optionally
against a peer implementation (``tools/analysis_tools/benchmark.py``)."""
from .coco_detector import build_coco_detector
from .compare_models import CompareResult, compare_models
from .memory import peak_train_memory
from .peer import Peer, load_factory
from .request import BenchmarkRequest, benchmark_request, ported_config
from .result import BenchmarkResult
from .run import PeerSpec, Subject, level_subject, run_benchmark, trained_subject
from .train_step import random_detection_batch, train_step_fn

__all__ = [
    'BenchmarkRequest', 'benchmark_request', 'ported_config', 'BenchmarkResult', 'CompareResult',
    'Peer', 'PeerSpec', 'Subject', 'build_coco_detector', 'compare_models', 'level_subject',
    'load_factory', 'peak_train_memory', 'random_detection_batch', 'run_benchmark', 'train_step_fn',
    'trained_subject'
]
