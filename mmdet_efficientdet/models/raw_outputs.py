"""The detector's network as a plain module: image -> raw head outputs.

The one wrapper around ``EfficientDet._forward`` used wherever a tool needs
the network without box decoding or NMS: ONNX export and Torch-Pruning's
dependency tracing.
"""
from __future__ import annotations
from typing import Tuple

from torch import Tensor, nn


class RawOutputs(nn.Module):
    """Detector -> per-level raw head outputs.

    Outputs ``cls_0 .. cls_{L-1}`` ``(N, A*C, H_l, W_l)`` logits, then
    ``box_0 .. box_{L-1}`` ``(N, A*4, H_l, W_l)`` deltas (mmdet order
    ``dx, dy, dw, dh``) for a normalised input ``(N, 3, H, W)``. Submodule
    names are the detector's prefixed with ``detector.``.
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        cls_scores, bbox_preds = self.detector._forward(inputs)
        return tuple(cls_scores) + tuple(bbox_preds)
