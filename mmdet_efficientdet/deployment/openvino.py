"""OpenVINO: IR export from ONNX and NNCF post-training int8 quantization."""
from __future__ import annotations
import os
import os.path as osp
from typing import Sequence

import numpy as np

from ..utils.cpu_isa import ort_int8_scheme


def export_openvino(onnx_path: str, xml_path: str) -> str:
    """ONNX (fp32, dynamic batch, folded SAME pads) -> OpenVINO IR, fp32."""
    # OpenVINO / NNCF take seconds to import: loaded only for their runtime
    import openvino as ov
    model = ov.convert_model(onnx_path)
    os.makedirs(osp.dirname(osp.abspath(xml_path)), exist_ok=True)
    ov.save_model(model, xml_path, compress_to_fp16=False)
    return xml_path


def quantize_openvino_int8(xml_path: str, out_path: str, batches: Sequence[np.ndarray]) -> str:
    """NNCF post-training int8 quantization of an IR, same calibration data.

    On x86 CPUs without VNNI the int8 dot products saturate with full 8-bit
    weights (as ONNX Runtime's, :func:`quantize_onnx_int8`); NNCF's overflow
    fix (7-bit weights) is then applied to every layer, not only the first
    (its default).
    """
    # OpenVINO / NNCF take seconds to import: loaded only for their runtime
    import nncf
    import openvino as ov
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, OverflowFix

    fix = OverflowFix.ENABLE if ort_int8_scheme().reduce_range else \
        OverflowFix.FIRST_LAYER
    model = ov.Core().read_model(xml_path)
    quantized = nncf.quantize(
        model,
        nncf.Dataset(list(batches)),
        subset_size=len(batches),
        advanced_parameters=AdvancedQuantizationParameters(overflow_fix=fix))
    ov.save_model(quantized, out_path, compress_to_fp16=False)
    return out_path
