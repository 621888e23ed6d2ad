"""The attainable peak of this CPU, measured with the deployment runtimes.

A model's achieved GFLOP/s means little alone: :func:`attainable_peak` times
what the same runtimes reach on work they run best - one large matrix
product (fp32 and int8, each made into a file by every registered runtime
exactly as a detector's file is made) - and a large memory copy for the
bandwidth. :func:`peak_share` then puts a path's achieved rate against the
peak of its own runtime and precision.
"""
from __future__ import annotations
import os.path as osp
import tempfile
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from ..deployment import deploy_targets, get_inference_path, open_deployed, target_runtime
from ..utils.timing import timed

#: The probe's matrix product: ``(1, 1, M, K) @ (K, N)``.
GEMM_M, GEMM_K, GEMM_N = 1024, 1024, 1024
#: Bytes of the memory-bandwidth copy.
COPY_BYTES = 256 << 20


@dataclass
class Peak:
    """Attainable rates of this CPU.

    Attributes:
        gflops (dict): target (``ort-fp32`` ... ``ov-int8``, ``eager``: a
            PyTorch fp32 matmul) -> best GFLOP/s (int8: GOP/s) of the probe
            product.
        copy_gb_s (float): Memory copy bandwidth, GB/s (read + write).
        gemm (tuple): ``(M, K, N)`` of the probe.
        threads (int): Threads the probe ran with.
    """
    gflops: Dict[str, float] = field(default_factory=dict)
    copy_gb_s: float = 0.0
    gemm: tuple = (GEMM_M, GEMM_K, GEMM_N)
    threads: int = 2

    def for_inference_path(self, inference_path: str) -> Optional[float]:
        """The peak a path is measured against: its own target's, ``fused``
        against ``eager``; None if not probed."""
        return self.gflops.get(
            inference_path if get_inference_path(inference_path).deployed else 'eager')


def peak_share(achieved_gflops: float, inference_path: str, peak: Peak) -> Optional[float]:
    """``achieved / attainable`` for a path (None without a probe for it).

    Example:
        >>> peak_share(50.0, 'ort-int8', Peak(gflops={'ort-int8': 200.0}))
        0.25
    """
    best = peak.for_inference_path(inference_path)
    return achieved_gflops / best if best else None


def _gemm_onnx(path: str) -> np.ndarray:
    """Write the probe: ``y = x @ W`` with ``x (1, 1, M, K)`` (a 4-D input, as
    the runtimes expect an image batch) and a constant ``W (K, N)``; returns
    ``W``."""
    weight = np.random.default_rng(0).standard_normal((GEMM_K, GEMM_N)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node('MatMul', ['x', 'w'], ['y'])],
        'gemm_probe',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 1, GEMM_M, GEMM_K])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 1, GEMM_M, GEMM_N])],
        initializer=[numpy_helper.from_array(weight, 'w')])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return weight


class _Gemm(torch.nn.Module):
    """The probe as a PyTorch module (for runtimes exporting from one)."""

    def __init__(self, weight: np.ndarray) -> None:
        super().__init__()
        # a linear layer (what quantizers quantize), ``(N, K)`` weight
        self.weight = torch.nn.Parameter(
            torch.from_numpy(np.ascontiguousarray(weight.T)), requires_grad=False)

    def forward(self, x: torch.Tensor) -> tuple:
        return (torch.nn.functional.linear(x, self.weight), )


def _best_seconds(fn, runs: int) -> float:
    """Fastest of ``runs`` timed calls after one warm-up call."""
    fn()
    best = float('inf')
    for _ in range(runs):
        best = min(best, timed(fn)[1])
    return best


def copy_bandwidth(runs: int = 5) -> float:
    """GB/s of a large array copy (bytes read + written / fastest time)."""
    src = np.ones(COPY_BYTES // 4, np.float32)
    dst = np.empty_like(src)
    return 2 * COPY_BYTES / _best_seconds(lambda: np.copyto(dst, src), runs) / 1e9


def attainable_peak(threads: int = 2, runs: int = 5, targets=None) -> Peak:
    """Measure the probe product on eager PyTorch and every deployment target.

    Args:
        threads: Intra-op threads (as the paths measured).
        runs: Timed calls (the fastest counts: a peak).
        targets: Deployment targets probed (default: all registered).

    Returns:
        Peak
    """
    flops = 2.0 * GEMM_M * GEMM_K * GEMM_N
    torch.set_num_threads(threads)
    a, b = torch.randn(GEMM_M, GEMM_K), torch.randn(GEMM_K, GEMM_N)
    with torch.no_grad():
        peak = Peak(
            threads=threads, gflops={'eager': flops / _best_seconds(lambda: a @ b, runs) / 1e9})
    x = np.random.default_rng(1).standard_normal((1, 1, GEMM_M, GEMM_K)).astype(np.float32)
    with tempfile.TemporaryDirectory() as stage:
        source = osp.join(stage, 'model_fp32.onnx')
        weight = _gemm_onnx(source)
        for target in deploy_targets() if targets is None else targets:
            cls, precision = target_runtime(target)
            extra = dict(model=_Gemm(weight)) if cls.needs_model else {}
            file = cls.export(precision, source, stage, [x], ['none'], lambda line: None, **extra)
            runtime = open_deployed(file, threads, raw=False)
            peak.gflops[target] = flops / _best_seconds(lambda: runtime.run(x), runs) / 1e9
    peak.copy_gb_s = copy_bandwidth(runs)
    return peak
