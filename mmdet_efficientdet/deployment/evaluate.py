"""COCO metrics of a deployed file, scored like the PyTorch model."""
from __future__ import annotations
from typing import Dict, Optional

from ..evaluation import DetectionEvaluator
from .deployed_detector import DeployedEfficientDet


def evaluate_deployed(cfg,
                      path: str,
                      threads: Optional[int] = None,
                      evaluator=None) -> Dict[str, float]:
    """Every val metric of an ``.onnx`` / OpenVINO ``.xml`` file.

    The file runs inside :class:`DeployedEfficientDet` (the config's own
    preprocessing, anchors, decoding and NMS) and is scored by the one
    :class:`~mmdet_efficientdet.evaluation.DetectionEvaluator`, as the
    benchmark scores its paths.

    Args:
        cfg (Config): The config the file was exported from.
        path (str): The deployed file.
        threads (int, optional): Runtime threads.
        evaluator (DetectionEvaluator, optional): One already built for
            ``cfg`` (scoring several files reuses its dataloader).

    Returns:
        dict: metric name -> value (``coco/bbox_mAP`` ...).
    """
    model = DeployedEfficientDet(cfg.model, path, threads)
    return (evaluator or DetectionEvaluator(cfg)).metrics(model)
