"""Parameter and FLOP (multiply-add) counts of built detectors."""
from __future__ import annotations
from dataclasses import dataclass
from typing import Tuple

import torch
from mmengine.analysis import FlopAnalyzer
from torch import nn

from ..models.raw_outputs import RawOutputs


@dataclass(frozen=True)
class Complexity:
    """Measured size of a model.

    Attributes:
        params (int): Number of parameters.
        flops (int): Multiply-adds of one forward pass (mmengine's
            ``FlopAnalyzer``: one fused multiply-add counts 1, as the paper).
        input_shape (tuple[int, int]): ``(H, W)`` it was measured at.
    """
    params: int
    flops: int
    input_shape: Tuple[int, int]


def count_params(model: nn.Module) -> int:
    """Total number of parameters (the one parameter counter)."""
    return sum(p.numel() for p in model.parameters())


def flop_analyzer(detector: nn.Module, height: int, width: int) -> FlopAnalyzer:
    """mmengine ``FlopAnalyzer`` of ``detector._forward`` on one
    ``(1, 3, height, width)`` image (eval mode, warnings off); its module
    names are the detector's prefixed with ``detector.``."""
    detector.eval()
    analyzer = FlopAnalyzer(RawOutputs(detector), (torch.zeros(1, 3, height, width), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


def measure_complexity(detector: nn.Module, height: int, width: int) -> Complexity:
    """Count parameters and multiply-adds of ``detector`` on one image.

    The count covers the network (``detector._forward``: backbone, neck and raw
    head outputs), not box decoding or NMS.

    Args:
        detector (nn.Module): An mmdet detector; put in eval mode here.
        height (int): Input height.
        width (int): Input width.

    Returns:
        Complexity: Params and multiply-adds.
    """
    analyzer = flop_analyzer(detector, height, width)
    with torch.no_grad():
        flops = analyzer.total()
    return Complexity(count_params(detector), int(flops), (height, width))
