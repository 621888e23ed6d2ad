"""OpenVINO (CPU): fp32 IR and NNCF int8 IR (``.xml`` + ``.bin``)."""
from __future__ import annotations
import collections
import os.path as osp
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from .openvino import export_openvino, quantize_openvino_int8
from .runtimes import DeployedModelError, Runtime, register_runtime, runtime_reason


@register_runtime
class OpenVINORuntime(Runtime):
    """OpenVINO (CPU) compiled model of an IR ``.xml`` (+ ``.bin``).

    Float layers run in float32 (``INFERENCE_PRECISION_HINT=f32``): on CPUs
    with AVX-512 BF16 or AMX, OpenVINO would otherwise silently compute an
    fp32 IR in bfloat16 (here: class logits off by ~6e-2), and the fp32 file
    would no longer be the model that was exported. int8: NNCF post-training
    quantization of the fp32 IR, with the overflow fix on CPUs without VNNI.

    Args:
        path (str): The ``.xml`` file.
        threads (int, optional): Inference threads.
        profile (str, optional): Keep the plugin's performance counters
            (any non-empty value; OpenVINO writes no trace file).
    """

    name = 'ov'
    suffix = '.xml'
    companions = ('.bin', )
    precisions = ('fp32', 'int8')

    def __init__(self,
                 path: str,
                 threads: Optional[int] = None,
                 profile: Optional[str] = None) -> None:
        # OpenVINO / NNCF take seconds to import: loaded only for their runtime
        import openvino as ov
        core = ov.Core()
        config = {'INFERENCE_PRECISION_HINT': 'f32'}
        if threads:
            config['INFERENCE_NUM_THREADS'] = int(threads)
        if profile:
            config['PERF_COUNT'] = True
        try:
            model = core.read_model(path)
            self.compiled = core.compile_model(model, 'CPU', config)
        except Exception as err:  # noqa: BLE001 - OpenVINO's own types
            raise DeployedModelError(f'{path}: not a loadable OpenVINO IR: '
                                     f'{runtime_reason(err)}') from None
        self.path = path
        shape = model.inputs[0].get_partial_shape()
        self.input_hw = (shape[2].get_length(), shape[3].get_length())
        self.output_names = [o.get_any_name() for o in model.outputs]
        self.request = self.compiled.create_infer_request()

    @classmethod
    def export(cls, precision: str, onnx_fp32: str, stage: str, batches: Sequence[np.ndarray],
               keep_float: Sequence[str], log: Callable[[str], None]) -> str:
        """fp32: the IR of the ONNX graph; int8: NNCF-quantized from that
        IR (converted first when the fp32 target was not asked for)."""
        fp32 = osp.join(stage, cls.file_names('fp32')[0])
        if not osp.isfile(fp32):
            export_openvino(onnx_fp32, fp32)
        if precision == 'fp32':
            return fp32
        return quantize_openvino_int8(fp32, osp.join(stage, cls.file_names('int8')[0]), batches)

    def run(self, images: np.ndarray) -> Sequence[np.ndarray]:
        results = self.request.infer({0: images})
        return [results[output] for output in self.compiled.outputs]

    def profiling_info(self):
        """Per-layer counters of the last :meth:`run` (with ``profile``)."""
        return self.request.profiling_info

    def op_times(self, images: np.ndarray, runs: int,
                 warmup: int) -> Tuple[Dict[str, float], Dict[str, int]]:
        """The CPU plugin's performance counters: op type with the kernel it
        ran (e.g. ``Convolution [jit_avx2_I8]``)."""
        for _ in range(warmup):
            self.run(images)
        ms: Dict[str, float] = collections.defaultdict(float)
        nodes: Dict[str, int] = collections.Counter()
        for _ in range(runs):
            self.run(images)
            for info in self.profiling_info():
                if info.status != info.Status.EXECUTED:
                    continue
                key = f'{info.node_type} [{info.exec_type}]'
                ms[key] += info.real_time.total_seconds() * 1e3 / runs
                nodes[key] += 1
        return dict(ms), {k: v // runs for k, v in nodes.items()}
