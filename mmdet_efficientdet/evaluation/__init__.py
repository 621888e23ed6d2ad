from .detection_evaluator import DetectionEvaluator, subset_annotations
from .safe_coco_metric import SafeCocoMetric

__all__ = ['DetectionEvaluator', 'SafeCocoMetric', 'subset_annotations']
