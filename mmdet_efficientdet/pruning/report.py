"""Side-by-side cost of model variants, measured in one interleaved run."""
from __future__ import annotations

import os.path as osp
import statistics
import tempfile
from typing import Callable, Dict, Optional

import torch
from torch import nn


def measure_variants(variants: Dict[str, nn.Module], size: int,
                     threads: int = 2, runs: int = 15,
                     macs: Optional[Callable[[nn.Module], int]] = None,
                     evaluate: Optional[Callable[[nn.Module], float]] = None
                     ) -> Dict[str, dict]:
    """Params, GMACs, eager and ONNX Runtime batch-1 latency, and mAP.

    All ``2 x len(variants)`` latency paths are timed interleaved
    (:func:`~mmdet_efficientdet.timing.interleaved_times`), so the ratios
    between variants come from one run on this machine.

    Args:
        variants (dict): name -> eval-mode detector.
        size (int): Square input size.
        threads (int): Torch and ORT threads.
        runs (int): Timed calls per path.
        macs: model -> multiply-adds (default: the dense count).
        evaluate: model -> mAP (0-1), or None.

    Returns:
        dict: name -> ``params``, ``nonzero_params``, ``gmacs``,
        ``eager_ms``, ``ort_ms`` (medians), ``eager_x``, ``ort_x`` (ratio to
        the first variant), ``mAP`` (x100, when ``evaluate``).
    """
    from ..analysis import measure_complexity
    from ..deployment import OnnxRuntimeBackend, export_onnx
    from ..timing import interleaved_times
    from .unstructured import nonzero_params
    torch.set_num_threads(threads)
    rows: Dict[str, dict] = {}
    x = torch.randn(1, 3, size, size)
    array = x.numpy()
    fns = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, model) in enumerate(variants.items()):
            model.eval()
            size_ = measure_complexity(model, size, size)
            rows[name] = dict(
                params=size_.params,
                nonzero_params=nonzero_params(model),
                gmacs=(macs(model) if macs else size_.flops) / 1e9)
            path = osp.join(tmp, f'{i}.onnx')
            export_onnx(model, path, (size, size))
            session = OnnxRuntimeBackend(path, threads)
            fns[(name, 'eager')] = (lambda m=model: m._forward(x))
            fns[(name, 'ort')] = (lambda s=session: s.run(array))
        with torch.no_grad():
            times = interleaved_times(fns, runs, 2)
    for (name, path), values in times.items():
        rows[name][f'{path}_ms'] = statistics.median(values) * 1e3
    first = next(iter(rows.values()))
    for row in rows.values():
        row['eager_x'] = row['eager_ms'] / first['eager_ms']
        row['ort_x'] = row['ort_ms'] / first['ort_ms']
    if evaluate is not None:
        for name, model in variants.items():
            rows[name]['mAP'] = evaluate(model) * 100
    return rows


def format_rows(rows: Dict[str, dict]) -> str:
    """A fixed-width table of :func:`measure_variants` rows."""
    header = (f'{"variant":<30}{"params":>11}{"nonzero":>11}{"GMACs":>8}'
              f'{"eager ms":>10}{"x":>6}{"ORT ms":>9}{"x":>6}{"mAP":>7}')
    lines = [header, '-' * len(header)]
    for name, row in rows.items():
        lines.append(
            f'{name:<30}{row["params"]:>11,}{row["nonzero_params"]:>11,}'
            f'{row["gmacs"]:>8.3f}{row["eager_ms"]:>10.1f}'
            f'{row["eager_x"]:>6.2f}{row["ort_ms"]:>9.1f}{row["ort_x"]:>6.2f}'
            + (f'{row["mAP"]:>7.1f}' if 'mAP' in row else f'{"-":>7}'))
    return '\n'.join(lines)
