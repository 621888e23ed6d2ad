"""Test-only registered pieces for the fault tests (imported via custom_imports)."""
import time
from typing import Dict, List, Sequence

from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric


@METRICS.register_module()
class ClockMetric(BaseMetric):
    """A 'metric' that improves at every evaluation (wall-clock time), so
    ``save_best`` replaces the best checkpoint every time, resumes included."""

    default_prefix = 'test'

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        self.results.append(len(data_samples))

    def compute_metrics(self, results: List[int]) -> Dict[str, float]:
        return dict(clock=time.time())
