from .safe_coco_metric import SafeCocoMetric

__all__ = ['SafeCocoMetric']
