"""Deployed-model runtimes: one small adapter per backend, same interface.

Every exported EfficientDet graph (``export_onnx``, raw outputs) takes the
normalised image batch ``(N, 3, H, W)`` at the export size and returns
``cls_0 .. cls_{L-1}``, ``box_0 .. box_{L-1}``. A backend runs such a file and
gives those outputs back as torch tensors, so mmdet's post-processing
(``bbox_head.predict_by_feat``: decoding, NMS) runs on them exactly as on the
PyTorch model's.
"""
from __future__ import annotations
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..errors import UserError

#: File suffix -> backend name.
BACKENDS = {'.onnx': 'onnxruntime', '.xml': 'openvino'}

#: Lines of a backend's message that locate its C++ source, not the problem.
_NOISE = re.compile(r'^(Exception from \S+:\d+:?|\[ ?[A-Z_]* ?\]|Check .* failed at \S+:\d+:?)$')


def backend_reason(err: BaseException, limit: int = 600) -> str:
    """A backend's error message on one line, without the source-location
    lines ONNX Runtime / OpenVINO put first (their first line alone often
    says nothing: ``Exception from src/inference/src/cpp/core.cpp:92:``).

    Example:
        >>> backend_reason(RuntimeError('Exception from src/core.cpp:92:\\n'
        ...                             'Weights file m.bin cannot be opened!'))
        'Weights file m.bin cannot be opened!'
    """
    lines = [line.strip() for line in str(err).splitlines()]
    kept = [line for line in lines if line and not _NOISE.match(line)]
    text = ' '.join(kept) or ' '.join(lines) or type(err).__name__
    return text if len(text) <= limit else text[:limit] + ' ...'


class DeployedModelError(UserError, ValueError):
    """A deployed model file is missing, unreadable or does not fit."""


class DeployedBackend:
    """Base: ``__call__(images) -> list of raw output tensors``.

    Attributes:
        path (str): The model file.
        input_hw (tuple[int, int]): The input size the graph was exported at.
        output_names (list[str]): Output names, ``cls_*`` then ``box_*``.
    """

    path: str
    input_hw: Tuple[int, int]
    output_names: List[str]

    def run(self, images: np.ndarray) -> Sequence[np.ndarray]:
        raise NotImplementedError

    def __call__(self, images: torch.Tensor) -> List[torch.Tensor]:
        """Run ``(N, 3, H, W)`` float images; raise if the size is not the
        export size."""
        height, width = (int(s) for s in images.shape[-2:])
        if (height, width) != tuple(self.input_hw):
            raise DeployedModelError(f'{self.path} takes {self.input_hw[0]}x{self.input_hw[1]} '
                                     f'inputs (its export size), got {height}x{width}: export it '
                                     f'at the config\'s image_size, or test with a config whose '
                                     f'pipeline gives that size')
        array = images.detach().float().contiguous().cpu().numpy()
        return [torch.from_numpy(np.ascontiguousarray(o)) for o in self.run(array)]


class OnnxRuntimeBackend(DeployedBackend):
    """ONNX Runtime (CPU) session of a ``.onnx`` file (fp32 or int8 QDQ).

    Args:
        path (str): The file.
        threads (int, optional): Intra-op threads (default: ORT's).
        profile_prefix (str, optional): Turn on ORT's profiler, trace files
            starting with this prefix (:meth:`end_profiling` returns one).
    """

    def __init__(self,
                 path: str,
                 threads: Optional[int] = None,
                 profile_prefix: Optional[str] = None) -> None:
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        if profile_prefix:
            options.enable_profiling = True
            options.profile_file_prefix = profile_prefix
        try:
            self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        except Exception as err:  # noqa: BLE001 - ORT raises its own types
            raise DeployedModelError(f'{path}: not a loadable ONNX model: '
                                     f'{backend_reason(err)}') from None
        self.path = path
        shape = self.session.get_inputs()[0].shape
        self.input_hw = (int(shape[2]), int(shape[3]))
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run(self, images: np.ndarray) -> Sequence[np.ndarray]:
        name = self.session.get_inputs()[0].name
        return self.session.run(None, {name: images})

    def end_profiling(self) -> str:
        """Stop the profiler; the JSON trace file it wrote."""
        return self.session.end_profiling()


class OpenVINOBackend(DeployedBackend):
    """OpenVINO (CPU) compiled model of an IR ``.xml`` (+ ``.bin``).

    Float layers run in float32 (``INFERENCE_PRECISION_HINT=f32``): on CPUs
    with AVX-512 BF16 or AMX, OpenVINO would otherwise silently compute an
    fp32 IR in bfloat16 (here: class logits off by ~6e-2), and the fp32 file
    would no longer be the model that was exported.
    """

    def __init__(self, path: str, threads: Optional[int] = None, profile: bool = False) -> None:
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
                                     f'{backend_reason(err)}') from None
        self.path = path
        shape = model.inputs[0].get_partial_shape()
        self.input_hw = (shape[2].get_length(), shape[3].get_length())
        self.output_names = [o.get_any_name() for o in model.outputs]
        self.request = self.compiled.create_infer_request()

    def run(self, images: np.ndarray) -> Sequence[np.ndarray]:
        results = self.request.infer({0: images})
        return [results[output] for output in self.compiled.outputs]

    def profiling_info(self):
        """Per-layer counters of the last :meth:`run` (with ``profile``)."""
        return self.request.profiling_info


def load_backend(path: str,
                 threads: Optional[int] = None,
                 profile: Optional[str] = None,
                 raw: bool = True) -> DeployedBackend:
    """Open a deployed model by its suffix (``.onnx``, OpenVINO ``.xml``).

    Every ONNX Runtime session and OpenVINO compiled model of the package is
    made here.

    Args:
        path (str): The file.
        threads (int, optional): Runtime threads.
        profile (str, optional): Profile kernels: ORT trace files start with
            this prefix; OpenVINO keeps performance counters.
        raw (bool): Require raw ``cls_*``/``box_*`` head outputs (False for
            an ``--decode`` export).

    Raises:
        DeployedModelError: missing file, unknown suffix, unreadable model,
            or outputs that are not raw ``cls_*``/``box_*`` head outputs.
    """
    if not osp.isfile(path):
        raise DeployedModelError(f'deployed model {path!r} not found')
    suffix = osp.splitext(path)[1].lower()
    if suffix not in BACKENDS:
        raise DeployedModelError(f'{path}: unknown model format {suffix!r}; expected one of '
                                 f'{sorted(BACKENDS)}')
    if suffix == '.onnx':
        backend = OnnxRuntimeBackend(path, threads, profile_prefix=profile)
    else:
        backend = OpenVINOBackend(path, threads, profile=bool(profile))
    if not raw:
        return backend
    names = backend.output_names
    levels = len(names) // 2
    if len(names) < 2 or len(names) % 2 or names != [f'cls_{i}' for i in range(levels)
                                                     ] + [f'box_{i}' for i in range(levels)]:
        raise DeployedModelError(f'{path}: outputs {names} are not raw head outputs cls_0.., '
                                 f'box_0..: export without --decode')
    return backend
