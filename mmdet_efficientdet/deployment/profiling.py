"""Where a deployed model's time goes: kernel time per op type."""
from __future__ import annotations
import os.path as osp
import tempfile
from dataclasses import dataclass
from typing import Dict

import numpy as np

from .runtimes import open_deployed


@dataclass
class OpProfile:
    """Kernel time of one deployed file, per op type.

    Attributes:
        path (str): The file.
        runs (int): Inferences averaged.
        threads (int): Runtime threads.
        ms (dict): op type -> milliseconds per inference.
        nodes (dict): op type -> nodes of that type run per inference.
    """
    path: str
    runs: int
    threads: int
    ms: Dict[str, float]
    nodes: Dict[str, int]

    @property
    def total_ms(self) -> float:
        return sum(self.ms.values())

    def table(self, top: int = 12) -> str:
        """The ``top`` op types by time: ms, share and node count."""
        total = self.total_ms
        lines = [
            f'{self.path}: {total:.1f} ms of kernels per inference '
            f'({self.threads} threads, mean of {self.runs} runs)',
            f'{"op":<44}{"ms":>8}{"share":>8}{"nodes":>7}'
        ]
        for op, ms in sorted(self.ms.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f'{op:<44}{ms:>8.2f}{ms / max(total, 1e-9):>8.1%}'
                         f'{self.nodes[op]:>7}')
        return '\n'.join(lines)


def _input(runtime) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.standard_normal((1, 3, *runtime.input_hw)).astype(np.float32)


def profile_deployed(path: str, runs: int = 20, threads: int = 2, warmup: int = 3) -> OpProfile:
    """Profile batch-1 inference of a deployed file with its runtime's own
    profiler (:meth:`~.runtimes.Runtime.op_times`: ONNX Runtime's
    kernel time per node type, OpenVINO's performance counters per op type
    and kernel, e.g. ``Convolution [jit_avx2_I8]``)."""
    with tempfile.TemporaryDirectory() as tmp:
        runtime = open_deployed(path, threads, profile=osp.join(tmp, 'trace'), raw=False)
        ms, nodes = runtime.op_times(_input(runtime), runs, warmup)
    return OpProfile(path, runs, threads, ms, nodes)
