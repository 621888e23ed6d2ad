"""CPU benchmark of one EfficientDet - a table level or any config +
checkpoint: latency of every inference path, its share of the CPU's peak,
throughput, a training step, peak training memory and mAP, optionally
against a peer implementation (``tools/analysis_tools/benchmark.py``), and
several trained models side by side (``compare_models``)."""
from .compare_models import compare_models
from .request import BenchmarkRequest, benchmark_request, ported_config
from .result import BenchmarkResult
from .run import PeerSpec, Subject, level_subject, run_benchmark, trained_subject

__all__ = [
    'BenchmarkRequest', 'benchmark_request', 'ported_config', 'BenchmarkResult', 'PeerSpec',
    'Subject', 'compare_models', 'level_subject', 'run_benchmark', 'trained_subject'
]
