"""Export a config + checkpoint to one ONNX file, optionally verified
(``tools/deployment/export_onnx.py``)."""
from __future__ import annotations
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np
import torch

from ..errors import UserError
from ..fileio import commit_file, plan_outputs, temp_path
from ..models.raw_outputs import RawOutputs
from ..models.trained import load_trained
from ..utils.cli import image_size as parse_size
from ..utils.image_size import ImageSize
from .onnx_export import DecodedOutputs, export_onnx
from .runtimes import open_deployed


@dataclass
class ExportResult:
    """What :func:`export_onnx_from_checkpoint` wrote and checked.

    Attributes:
        path (str): The ONNX file.
        image_size (tuple): ``(H, W)`` of the input.
        outputs (list[str]): Output names.
        max_abs_diff (float, optional): onnxruntime vs PyTorch on a random
            batch of 2 (with ``verify``).
        tolerance (float): What ``max_abs_diff`` must not exceed.
    """
    path: str
    image_size: ImageSize
    outputs: List[str]
    max_abs_diff: Optional[float] = None
    tolerance: float = 1e-4

    @property
    def ok(self) -> bool:
        """Whether the file matched PyTorch (True when not verified)."""
        return self.max_abs_diff is None or self.max_abs_diff <= self.tolerance

    def summary(self) -> str:
        lines = [
            f'exported {self.path}: input (batch, 3, {self.image_size[0]}, '
            f'{self.image_size[1]}), outputs {self.outputs}'
        ]
        if self.max_abs_diff is not None:
            lines.append(f'onnxruntime vs PyTorch (batch 2): max abs diff '
                         f'{self.max_abs_diff:.2e}')
        return '\n'.join(lines)


def verify_export(model, path: str, size: ImageSize, decode: bool) -> float:
    """Max abs difference of the ONNX file (onnxruntime) from PyTorch on a
    random batch of 2."""
    session = open_deployed(path, raw=not decode)
    x = torch.randn(2, 3, *size)
    module = DecodedOutputs(model, size) if decode else RawOutputs(model)
    with torch.no_grad():
        ref = module.eval()(x)
    out = session.run(x.numpy())
    return max(float(np.abs(o - r.numpy()).max()) for o, r in zip(out, ref))


def export_onnx_from_checkpoint(config: str,
                                checkpoint: Optional[str],
                                out: str,
                                image_size: Optional[Sequence[int]] = None,
                                decode: bool = False,
                                opset: int = 17,
                                verify: bool = False,
                                overwrite: bool = False) -> ExportResult:
    """Export ``config`` (+ ``checkpoint``) to ``out``.

    The file is written beside ``out``, fsynced and moved into place
    complete; an existing ``out`` is replaced only with ``overwrite`` and
    survives a failed run.

    Args:
        config: Model config.
        checkpoint: Weights, or None for random weights.
        out: Output ``.onnx`` file.
        image_size: ``(H, W)`` or None for the config's ``image_size``;
            divisible by the model's size divisor.
        decode: Export decoded boxes + scores instead of raw head outputs.
        opset: ONNX opset.
        verify: Compare onnxruntime with PyTorch.
        overwrite: Replace an earlier run's file.

    Raises:
        UserError: an output that exists or is an input, or an input size not
            divisible by the model's coarsest stride.
    """
    inputs = [config] + ([checkpoint] if checkpoint else [])
    plan_outputs([out], inputs, overwrite)
    cfg, model = load_trained(config, checkpoint or None)
    size = parse_size(image_size, cfg.image_size)
    stride = model.size_divisor
    if size[0] % stride or size[1] % stride:
        raise UserError(f'--image-size {size} must be divisible by {stride}')
    partial = temp_path(out)
    try:
        names = export_onnx(model, partial, size, decode=decode, opset=opset)
        commit_file(partial, out)
    finally:
        if osp.exists(partial):
            os.remove(partial)
    result = ExportResult(out, size, names)
    if verify:
        result.max_abs_diff = verify_export(model, out, size, decode)
    return result
