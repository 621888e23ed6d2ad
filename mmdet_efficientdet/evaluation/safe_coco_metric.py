"""COCO metric that reports 0.0 instead of nothing when nothing is predicted."""
from __future__ import annotations
from typing import Dict, List

from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

#: Keys mmdet's CocoMetric reports for each box/mask metric.
COCO_SUMMARY_KEYS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')


@METRICS.register_module()
class SafeCocoMetric(CocoMetric):
    """mmdet's :class:`CocoMetric` with a defined result for empty predictions.

    When a model predicts no box on any image, mmdet's metric logs an error
    and returns an empty dict, which also breaks ``save_best``. This metric
    logs one clear line and reports every summary number as 0.0 instead.
    Arguments are :class:`CocoMetric`'s.
    """

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Compute COCO metrics; 0.0 for a metric with no predictions."""
        num_preds = sum(len(pred['labels']) for _, pred in results)
        logger = MMLogger.get_current_instance()
        if num_preds == 0 and not self.format_only:
            logger.warning(f'The model predicted no boxes on the {len(results)} evaluated '
                           f'images: reporting {", ".join(self.metrics)} mAP = 0.0')
            return {f'{metric}_{key}': 0.0 for metric in self.metrics for key in COCO_SUMMARY_KEYS}
        return super().compute_metrics(results)
