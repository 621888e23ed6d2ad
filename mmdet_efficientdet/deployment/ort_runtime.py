"""ONNX Runtime (CPU): fp32 and int8 (QDQ) ``.onnx`` files."""
from __future__ import annotations
import collections
import json
import os.path as osp
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import onnx

from ..errors import UserError
from ..utils.cpu_isa import ort_int8_scheme
from .ort_quantize import quantize_onnx_int8, select_float_nodes
from .runtimes import DeployedModelError, Runtime, register_runtime, runtime_reason


@register_runtime
class OrtRuntime(Runtime):
    """ONNX Runtime (CPU) session of a ``.onnx`` file (fp32 or int8 QDQ).

    int8: static QDQ quantization calibrated on real images, with float nodes
    chosen by measurement (``keep_float=['auto']``) and 7-bit weights on CPUs
    without VNNI (:func:`~mmdet_efficientdet.utils.cpu_isa.ort_int8_scheme`).

    Args:
        path (str): The file.
        threads (int, optional): Intra-op threads (default: ORT's).
        profile (str, optional): Turn on ORT's profiler, trace files starting
            with this prefix (:meth:`end_profiling` returns one).
    """

    name = 'ort'
    suffix = '.onnx'
    precisions = ('fp32', 'int8')

    def __init__(self,
                 path: str,
                 threads: Optional[int] = None,
                 profile: Optional[str] = None) -> None:
        # ONNX Runtime loads only when its runtime runs (heavy runtime)
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        if profile:
            options.enable_profiling = True
            options.profile_file_prefix = profile
        try:
            self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        except Exception as err:  # noqa: BLE001 - ORT raises its own types
            raise DeployedModelError(f'{path}: not a loadable ONNX model: '
                                     f'{runtime_reason(err)}') from None
        self.path, self.threads, self.profile = path, threads, profile
        shape = self.session.get_inputs()[0].shape
        self.input_hw = (int(shape[2]), int(shape[3]))
        self.output_names = [o.name for o in self.session.get_outputs()]

    @classmethod
    def export(cls, precision: str, onnx_fp32: str, stage: str, batches: Sequence[np.ndarray],
               keep_float: Sequence[str], log: Callable[[str], None]) -> str:
        """fp32: the exported graph itself; int8: QDQ-quantized from it."""
        if precision == 'fp32':
            return onnx_fp32
        keep = list(keep_float)
        out = osp.join(stage, cls.file_names('int8')[0])
        if keep == ['auto']:  # the search leaves its measured file at out
            search = select_float_nodes(onnx_fp32, stage, batches, out_path=out)
            log(search.table())
            keep = search.chosen
        else:
            keep = [] if keep == ['none'] else keep
            _check_node_names(onnx_fp32, keep)
            quantize_onnx_int8(onnx_fp32, out, batches, keep)
        log(f'ort-int8 float nodes: {", ".join(keep) or "none"}')
        log(f'ort-int8 weights: {ort_int8_scheme().reason}')
        return out

    def run(self, images: np.ndarray) -> Sequence[np.ndarray]:
        name = self.session.get_inputs()[0].name
        return self.session.run(None, {name: images})

    def end_profiling(self) -> str:
        """Stop the profiler; the JSON trace file it wrote."""
        return self.session.end_profiling()

    def op_times(self, images: np.ndarray, runs: int,
                 warmup: int) -> Tuple[Dict[str, float], Dict[str, int]]:
        """ORT's profiler: kernel time per node type; the warm-up runs go to
        this session's trace, which is dropped, the timed runs to a fresh
        session's."""
        for _ in range(warmup):
            self.run(images)
        self.end_profiling()
        timed = type(self)(self.path, self.threads, self.profile)
        for _ in range(runs):
            timed.run(images)
        with open(timed.end_profiling()) as f:
            events = json.load(f)
        ms: Dict[str, float] = collections.defaultdict(float)
        nodes: Dict[str, int] = collections.Counter()
        for event in events:
            if event.get('cat') == 'Node' and event['name'].endswith('_kernel_time'):
                op = event.get('args', {}).get('op_name', '?')
                ms[op] += event['dur'] / 1e3 / runs
                nodes[op] += 1
        return dict(ms), {k: v // runs for k, v in nodes.items()}


def _check_node_names(onnx_path: str, keep: Sequence[str]) -> None:
    """``--keep-float`` names must be nodes of the graph."""
    nodes = {n.name for n in onnx.load(onnx_path).graph.node}
    missing = [k for k in keep if k not in nodes]
    if missing:
        convs = sorted(n for n in nodes if 'conv' in n.lower())
        raise UserError(f'--keep-float: no node named {missing} in the '
                        f'graph; e.g. {", ".join(convs[:3])} (or auto, none)')
