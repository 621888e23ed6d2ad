"""ONNX Runtime static int8 quantization (QDQ) and the measured choice of the
nodes to keep in float."""
from __future__ import annotations
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
import onnx

from ..utils.cpu_isa import ort_int8_scheme
from .runtimes import open_deployed


class _Reader:
    """onnxruntime ``CalibrationDataReader`` over prepared batches."""

    def __init__(self, input_name: str, batches: Sequence[np.ndarray]) -> None:
        self.input_name = input_name
        self.batches = list(batches)
        self.index = 0

    def get_next(self):
        if self.index >= len(self.batches):
            return None
        self.index += 1
        return {self.input_name: self.batches[self.index - 1]}

    def rewind(self) -> None:
        self.index = 0


def quantize_onnx_int8(fp32_path: str,
                       out_path: str,
                       batches: Sequence[np.ndarray],
                       keep_float: Sequence[str] = (),
                       per_channel: bool = True,
                       reduce_range: Optional[bool] = None) -> str:
    """Static int8 quantization (QDQ, per-channel weights) with ORT.

    U8S8 (uint8 activations, int8 weights). On x86 CPUs without VNNI the
    weights get 7 bits (``reduce_range``), since ORT's int8 kernels there
    saturate with 8-bit weights (:func:`~mmdet_efficientdet.utils.cpu_isa.ort_int8_scheme`).

    Args:
        fp32_path (str): The fp32 export (``export_onnx``).
        out_path (str): Where the int8 model goes.
        batches: Calibration inputs (:func:`~.calibration.calibration_batches`).
        keep_float (Sequence[str]): Node names left in float.
        per_channel (bool): Per-output-channel weight scales.
        reduce_range (bool, optional): 7-bit weights; default: chosen for
            this CPU by :func:`~mmdet_efficientdet.utils.cpu_isa.ort_int8_scheme`.

    Returns:
        str: ``out_path``.
    """
    # ONNX Runtime loads only when its runtime runs (heavy runtime)
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if reduce_range is None:
        reduce_range = ort_int8_scheme().reduce_range
    input_name = onnx.load(fp32_path).graph.input[0].name
    prepared = out_path + '.pre.onnx'
    quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
    try:
        quantize_static(
            prepared,
            out_path,
            _Reader(input_name, batches),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            reduce_range=reduce_range,
            nodes_to_exclude=list(keep_float))
    finally:
        if osp.exists(prepared):
            os.remove(prepared)
    return out_path


def _outputs(path: str, batches: Sequence[np.ndarray]) -> List[np.ndarray]:
    runtime = open_deployed(path)
    return [np.concatenate([o.reshape(o.shape[0], -1) for o in runtime.run(b)], 1) for b in batches]


def output_error(reference: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Relative L2 error of raw outputs, over all calibration images."""
    num = sum(float(np.sum((o - r)**2)) for o, r in zip(outputs, reference))
    den = sum(float(np.sum(r**2)) for r in reference)
    return (num / max(den, 1e-30))**0.5


@dataclass
class FloatNodeSearch:
    """What :func:`select_float_nodes` measured.

    Attributes:
        all_int8 (float): Output error with every node quantized.
        trials (list): ``(node, error with that node in float)``.
        chosen (list[str]): Nodes kept in float.
        final (float): Output error with ``chosen`` in float.
    """
    all_int8: float
    trials: List[Tuple[str, float]] = field(default_factory=list)
    chosen: List[str] = field(default_factory=list)
    final: float = 0.0

    def table(self) -> str:
        lines = [f'output error, all int8: {self.all_int8:.4f}']
        lines += [f'  {node} in float: {err:.4f}' for node, err in self.trials]
        lines.append(f'kept in float: {", ".join(self.chosen) or "none"} '
                     f'-> output error {self.final:.4f}')
        return '\n'.join(lines)


def candidate_float_nodes(path: str) -> List[str]:
    """The nodes worth keeping in float: the first conv (raw pixels, wide
    range) and the last conv of each prediction branch (logits and box
    deltas read directly by the post-processing)."""
    convs = [n.name for n in onnx.load(path).graph.node if n.op_type == 'Conv']
    picks = [convs[0]] if convs else []
    for branch in ('cls_pred', 'reg_pred'):
        named = [c for c in convs if f'/{branch}/' in c]
        if named:
            picks.append(named[-1])
    return picks


def select_float_nodes(fp32_path: str,
                       work_dir: str,
                       batches: Sequence[np.ndarray],
                       candidates: Optional[Iterable[str]] = None,
                       min_gain: float = 0.1,
                       out_path: Optional[str] = None) -> FloatNodeSearch:
    """Measure which candidate nodes to keep in float.

    Quantizes once with everything in int8, then once per candidate with that
    node in float; keeps every node whose float version lowers the raw-output
    error (:func:`output_error`) by at least ``min_gain`` of the all-int8
    error, then measures the final combination (a combination already
    quantized is not quantized again: ORT's quantizer takes seconds to
    minutes per model).

    Args:
        out_path (str, optional): Where the int8 model of the chosen
            combination is left (the measured file itself).
    """
    reference = _outputs(fp32_path, batches)
    trials, errors = {}, {}  # frozenset of float nodes -> its file, its error

    def error(keep: Sequence[str]) -> float:
        key = frozenset(keep)
        trials[key] = quantize_onnx_int8(fp32_path,
                                         osp.join(work_dir, f'trial{len(trials)}_int8.onnx'),
                                         batches, keep)
        errors[key] = output_error(reference, _outputs(trials[key], batches))
        return errors[key]

    try:
        search = FloatNodeSearch(all_int8=error(()))
        for node in (candidate_float_nodes(fp32_path) if candidates is None else candidates):
            err = error([node])
            search.trials.append((node, err))
            if err <= (1 - min_gain) * search.all_int8:
                search.chosen.append(node)
        chosen = frozenset(search.chosen)
        search.final = errors[chosen] if chosen in errors else error(search.chosen)
        if out_path is not None:
            os.replace(trials.pop(chosen), out_path)
    finally:
        for path in trials.values():
            if osp.exists(path):
                os.remove(path)
    return search
