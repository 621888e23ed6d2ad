"""ExecuTorch with XNNPACK (the edge runtime): fp32 and int8 ``.pte`` files.

Optional: it needs ``executorch`` (``requirements/edge.txt``; ``make test``
installs it). Without it the ``et-*`` targets are not offered and asking for
one is one line naming the requirements file.
"""
from __future__ import annotations
import copy
import importlib.util
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx
import torch

from ..errors import UserError
from ..models.layers.weighted_fusion import WeightedFusion
from ..utils.timing import interleaved_times
from .bn_folding import fold_bn_into_convs
from .runtimes import DeployedModelError, Runtime, register_runtime, runtime_reason
from .unshared_head import unshare_head

#: Where the optional runtime is pinned.
REQUIREMENTS = 'requirements/edge.txt'


def _to_pte(program, path: str) -> str:
    """Lower an exported program to XNNPACK and write the ``.pte`` file."""
    # ExecuTorch is optional (requirements/edge.txt) and heavy: loaded on use
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower
    lowered = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()])
    with open(path, 'wb') as f:
        f.write(lowered.to_executorch().buffer)
    return path


def _contiguous_copy(module: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``module`` whose weights are contiguous (XNNPACK's layout
    pass expects NCHW weights; some initialisers leave transposed views)."""
    module = copy.deepcopy(module).eval()
    for param in module.parameters():
        param.data = param.data.contiguous()
    return module


def _quantized(module: torch.nn.Module, example: Tuple[torch.Tensor, ...],
               batches: Sequence[np.ndarray]) -> torch.nn.Module:
    """PT2E int8 of ``module`` with the XNNPACK quantizer (symmetric int8,
    per-channel weights, per-tensor activations), calibrated image by image
    on ``batches`` (the program takes batch 1)."""
    # ExecuTorch is optional (requirements/edge.txt) and heavy: loaded on use
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer, get_symmetric_quantization_config)
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    config = get_symmetric_quantization_config(is_per_channel=True)
    quantizer = XNNPACKQuantizer().set_global(config)
    prepared = prepare_pt2e(torch.export.export(module, example).module(), quantizer)
    for batch in batches:
        for image in np.split(np.ascontiguousarray(batch, np.float32), len(batch)):
            prepared(torch.from_numpy(image))
    return convert_pt2e(prepared)


class _Rank4Fusion(torch.nn.Module):
    """Export-time stand-in of a :class:`WeightedFusion`: the same product
    with the normalised weights as constant ``(1, 1, 1, 1)`` factors, laid
    out like the maps (XNNPACK's layout pass rejects 0-d operands; constant
    factors keep the weight normalisation out of the program). Only the
    exported copy gets it: Torch-Pruning traces the eager graph, where such
    a reshape would couple every BiFPN channel."""

    def __init__(self, fusion: WeightedFusion) -> None:
        super().__init__()
        self.fusion = fusion
        with torch.no_grad():
            factors = fusion.normalized_weights().detach().reshape(-1, 1, 1, 1, 1)
        self.register_buffer('factors', factors.clone(), persistent=False)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        if self.fusion.mode == 'sum':
            return self.fusion(inputs)
        return WeightedFusion.fuse(inputs, self.factors.to(inputs[0].dtype))


def _rank4_fusions(module: torch.nn.Module) -> torch.nn.Module:
    """Replace every :class:`WeightedFusion` of ``module`` (in place) by
    :class:`_Rank4Fusion`; returns ``module``."""
    for name, child in list(module.named_modules()):
        if isinstance(child, WeightedFusion):
            parent_name, _, attr = name.rpartition('.')
            setattr(module.get_submodule(parent_name), attr, _Rank4Fusion(child))
    return module


@register_runtime
class ExecuTorchRuntime(Runtime):
    """An ExecuTorch program lowered to XNNPACK, run by the ExecuTorch
    runtime (what ships to phones and boards).

    ``torch.export`` of the network, BN folded, the head's level-shared convs
    copied per level (:mod:`.unshared_head`: XNNPACK int8 cannot share one
    conv between inputs of different scales), every supported op delegated
    to XNNPACK (the nearest-neighbour upsamplings of the BiFPN run in
    ExecuTorch's portable kernels). int8: PT2E quantization with the XNNPACK
    quantizer (symmetric int8, per-channel weights), calibrated on the
    calibration images; ``keep_float`` (ONNX node names) does not apply. The
    program takes batch 1: a larger batch runs image by image.

    Args:
        path (str): The ``.pte`` file.
        threads (int, optional): Unused: XNNPACK's thread pool is sized by
            the runtime (the CPU's cores).
        profile (str, optional): Unused (no per-op profile; :meth:`op_times`
            gives the whole program's time).
    """

    name = 'et'
    suffix = '.pte'
    precisions = ('fp32', 'int8')
    needs_model = True
    by_default = False  # an edge file on request: deploy.py --targets et-fp32

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec('executorch') is not None

    @classmethod
    def missing_reason(cls) -> str:
        return f'ExecuTorch is not installed: pip install -r {REQUIREMENTS}'

    def __init__(self,
                 path: str,
                 threads: Optional[int] = None,
                 profile: Optional[str] = None) -> None:
        if not self.available():
            raise UserError(f'{path}: {self.missing_reason()}')
        # ExecuTorch is optional (requirements/edge.txt) and heavy: loaded on use
        from executorch import runtime as et_runtime
        try:
            program = et_runtime.Runtime.get().load_program(path)
            self.method = program.load_method('forward')
        except Exception as err:  # noqa: BLE001 - the runtime raises its own types
            raise DeployedModelError(f'{path}: not a loadable ExecuTorch program: '
                                     f'{runtime_reason(err)}') from None
        meta = self.method.metadata
        shape = meta.input_tensor_meta(0).sizes()
        self.path, self.threads = path, threads
        self.input_hw = (int(shape[2]), int(shape[3]))
        levels = meta.num_outputs() // 2
        # a program keeps no output names: the export order is cls_*, box_*
        self.output_names = [f'cls_{i}'
                             for i in range(levels)] + [f'box_{i}' for i in range(levels)]

    @classmethod
    def size_problem(cls, map_sizes: Sequence[Tuple[int, int]]) -> Optional[str]:
        """XNNPACK mis-lays a 1-pixel map: the coarsest must be at least 2x2."""
        height, width = map_sizes[-1]
        if min(height, width) >= 2:
            return None
        return (f'XNNPACK needs the coarsest output map at least 2x2, here {height}x{width}: '
                f'export at twice the size or more (--image-size)')

    @classmethod
    def export(cls,
               precision: str,
               onnx_fp32: str,
               stage: str,
               batches: Sequence[np.ndarray],
               keep_float: Sequence[str],
               log: Callable[[str], None],
               model: Optional[torch.nn.Module] = None) -> str:
        """The ``.pte`` of ``model`` (images -> tuple of outputs, e.g.
        :class:`~mmdet_efficientdet.models.RawOutputs`) at the input size of
        ``onnx_fp32`` (``batches`` and ``keep_float`` are for int8 targets).
        XNNPACK needs the coarsest map to be at least 2x2 (e.g. 256 px with
        P7)."""

        if not cls.available():
            raise UserError(f'et-{precision}: {cls.missing_reason()}')
        if model is None:
            raise ValueError('the ExecuTorch export needs the PyTorch model')
        module = _rank4_fusions(_contiguous_copy(model))
        if hasattr(getattr(module, 'detector', None), 'bbox_head'):
            unshare_head(module.detector)
        fold_bn_into_convs(module)
        example = (torch.zeros(_onnx_input_shape(onnx_fp32)), )
        path = osp.join(stage, cls.file_names(precision)[0])
        start = time.perf_counter()  # a log line's duration, not a measurement
        with torch.no_grad():
            if precision == 'int8':
                module = _quantized(module, example, batches)
            _to_pte(torch.export.export(module, example), path)
        _check_runs(path, example[0], f'et-{precision}')
        log(f'et-{precision}: lowered to XNNPACK in {time.perf_counter() - start:.0f} s')
        return path

    def run(self, images: np.ndarray) -> Sequence[np.ndarray]:
        outputs: List[List[np.ndarray]] = []
        for image in np.split(np.ascontiguousarray(images, np.float32), len(images)):
            result = self.method.execute([torch.from_numpy(image)])
            outputs.append([np.asarray(o) for o in result])
        return [np.concatenate(parts) for parts in zip(*outputs)]

    def op_times(self, images: np.ndarray, runs: int,
                 warmup: int) -> Tuple[Dict[str, float], Dict[str, int]]:
        """The whole program's ms (one row: the runtime keeps no per-op
        profile without an ETDump build)."""
        times = interleaved_times({'program': lambda: self.run(images)}, runs, warmup)['program']
        return {'program [xnnpack]': statistics.mean(times) * 1e3}, {'program [xnnpack]': 1}


def _check_runs(path: str, image: torch.Tensor, target: str) -> None:
    """Load the lowered program and run ``image`` once: a program the
    runtime cannot run is refused here (one line), before anything is
    written, not when a user's benchmark or demo reaches it."""
    # ExecuTorch is optional (requirements/edge.txt) and heavy: loaded on use
    from executorch import runtime as et_runtime
    try:
        et_runtime.Runtime.get().load_program(path).load_method('forward').execute([image])
    except Exception as err:  # noqa: BLE001 - the runtime raises its own types
        raise UserError(f'{target}: the ExecuTorch runtime cannot run the program XNNPACK '
                        f'lowered ({runtime_reason(err)}); deploy et-fp32 or an ONNX Runtime '
                        f'/ OpenVINO target instead') from None


def _onnx_input_shape(path: str) -> Tuple[int, ...]:
    """The input shape of an exported ONNX graph, batch 1 (``(1, 3, H, W)``
    for a detector)."""
    dims = onnx.load(path, load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    return (1, ) + tuple(int(d.dim_value) for d in dims[1:])
