"""CPU benchmark of one EfficientDet level: latency of every inference path,
throughput, a training step, peak training memory and mAP, optionally
against a peer implementation (``tools/analysis_tools/benchmark.py``)."""
from .coco_detector import build_coco_detector
from .compare_models import CompareResult, compare_models
from .memory import peak_train_memory
from .peer import Peer, load_factory
from .result import BenchmarkResult
from .run import run_benchmark
from .train_step import random_detection_batch, train_step_fn

__all__ = [
    'BenchmarkResult', 'CompareResult', 'Peer', 'build_coco_detector', 'compare_models',
    'load_factory', 'peak_train_memory', 'random_detection_batch', 'run_benchmark', 'train_step_fn'
]
