"""Export EfficientDet to ONNX (raw head outputs, optionally decoded boxes)."""
from __future__ import annotations
import os
import os.path as osp
import warnings
from typing import List, Tuple

import onnx
import torch
from torch import Tensor, nn

from ..models.raw_outputs import RawOutputs
from ..utils.image_size import ImageSize
from .onnx_passes import fold_same_pads


class DecodedOutputs(RawOutputs):
    """Detector -> all-anchor boxes and class scores (before NMS).

    The raw outputs of :class:`RawOutputs`, decoded by the head's own box
    coder (``bbox_head.bbox_coder.decode``, with the config's size-ratio clamp:
    mmdet's 16/1000, or none for the ported configs), so the graph decodes
    exactly as :meth:`predict` does. Anchors are generated for the export
    image size and stored as a constant.

    Outputs:
        boxes ``(N, num_anchors_total, 4)`` xyxy in input pixels (clipped),
        scores ``(N, num_anchors_total, C)`` sigmoid probabilities.
    """

    def __init__(self, detector: nn.Module, image_size: ImageSize) -> None:
        super().__init__(detector)
        head = detector.bbox_head
        self.num_classes = head.cls_out_channels
        height, width = image_size
        sizes = [(-(-height // s[1]), -(-width // s[0])) for s in head.prior_generator.strides]
        priors = head.prior_generator.grid_priors(sizes, device='cpu')
        self.register_buffer('priors', torch.cat(priors), persistent=False)
        self.image_size = (int(height), int(width))

    def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        raw = super().forward(inputs)
        num_levels = len(raw) // 2
        n = inputs.shape[0]
        scores = torch.cat(
            [c.permute(0, 2, 3, 1).reshape(n, -1, self.num_classes) for c in raw[:num_levels]],
            1).sigmoid()
        deltas = torch.cat([b.permute(0, 2, 3, 1).reshape(n, -1, 4) for b in raw[num_levels:]], 1)
        # one (N * A, 4) decode: the coder's single-image path, any batch
        boxes = self.detector.bbox_head.bbox_coder.decode(
            self.priors.repeat(n, 1), deltas.reshape(-1, 4), max_shape=self.image_size)
        return boxes.reshape(n, -1, 4), scores


def output_names(num_levels: int, decode: bool) -> List[str]:
    """ONNX output names."""
    if decode:
        return ['boxes', 'scores']
    return [f'cls_{i}' for i in range(num_levels)] + [f'box_{i}' for i in range(num_levels)]


def export_onnx(detector: nn.Module,
                path: str,
                image_size: ImageSize,
                decode: bool = False,
                opset: int = 17,
                fold_pads: bool = True) -> List[str]:
    """Export ``detector`` (eval mode) with a dynamic batch dimension.

    Args:
        detector: An ``EfficientDet``.
        path: Output ``.onnx`` file.
        image_size: ``(H, W)``, divisible by the coarsest stride.
        decode: Export decoded boxes + scores instead of raw head outputs.
        opset: ONNX opset.
        fold_pads: Fold the TF ``'SAME'`` pads of strided convs into the
            convs (:func:`fold_same_pads`; needs the ``onnx`` package,
            skipped with a warning without it).

    Returns:
        list[str]: The output names.
    """
    was_training = detector.training
    module = DecodedOutputs(detector, image_size) if decode else \
        RawOutputs(detector)
    # the exporter restores the wrapper's mode afterwards, recursively: the
    # wrapper must be in eval mode, or the detector comes back in train mode
    module.eval()
    names = output_names(detector.bbox_head.num_levels, decode)
    dummy = torch.zeros(1, 3, *image_size)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # TF 'SAME' pads and resample sizes are read as Python ints on
        # purpose: the graph is for this (H, W) and they become constants
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(
            module, (dummy, ),
            path,
            input_names=['input'],
            output_names=names,
            opset_version=opset,
            dynamo=False,
            dynamic_axes={name: {
                0: 'batch'
            }
                          for name in ['input'] + names})
    detector.train(was_training)
    if fold_pads:
        model = onnx.load(path)
        if fold_same_pads(model):
            onnx.save(model, path)
    return names
