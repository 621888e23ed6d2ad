"""The pruned-variant table: ONNX Runtime latency of detectors against the
unpruned model (paired, interleaved), side-by-side rows of several models
and the fixed-width table that prints them.

Scalpel (ISCA 2017) says a pruning saving must be *measured* on the
processor; every number here is, in one interleaved run.
"""
from __future__ import annotations
import os.path as osp
import shutil
import statistics
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import torch
from torch import nn

from ..utils.image_size import ImageSizeLike, to_image_size
from ..utils.timing import interleaved_times
from .complexity import effective_macs, measure_complexity, nonzero_params
from .latency import WARMUP_CALLS, inference_call


class OrtLatency:
    """Batch-1 ONNX Runtime latency of detectors, measured against a base.

    Args:
        base (nn.Module): The unpruned detector; every measurement times it
            interleaved with the variant, so the saving is a same-run
            difference.
        size (ImageSizeLike): Input size, a square side or ``(H, W)``.
        threads (int): ORT intra-op threads (this machine: 2).
        runs (int): Timed calls of each.
    """

    def __init__(self,
                 base: nn.Module,
                 size: ImageSizeLike,
                 threads: int = 2,
                 runs: int = 10) -> None:
        self.size, self.threads, self.runs = to_image_size(size), threads, runs
        self.tmp = tempfile.TemporaryDirectory()
        self.base = self.session(base, 'base')

    def session(self, detector: nn.Module, name: str) -> Callable[[], object]:
        """One ONNX Runtime call of ``detector``
        (:func:`~mmdet_efficientdet.measure.latency.inference_call`)."""
        return inference_call(detector, self.size, 'ort-fp32', osp.join(self.tmp.name, name),
                              self.threads)

    def __call__(self, detector: nn.Module) -> Tuple[float, float]:
        """``(variant ms, base ms)`` of one interleaved run.

        The base is the variant's median plus the median of the paired
        differences (each base call is timed next to a variant call), which
        cancels load that slows both alike better than two medians."""
        shutil.rmtree(osp.join(self.tmp.name, 'variant'), ignore_errors=True)
        variant = self.session(detector, 'variant')
        times = interleaved_times({'base': self.base, 'variant': variant}, self.runs, WARMUP_CALLS)
        variant_ms = statistics.median(times['variant']) * 1e3
        saved = statistics.median(b - v for b, v in zip(times['base'], times['variant'])) * 1e3
        return variant_ms, variant_ms + saved


def measure_variants(variants: Dict[str, nn.Module],
                     size: ImageSizeLike,
                     threads: int = 2,
                     runs: int = 15,
                     macs: Optional[Callable[[nn.Module], int]] = None,
                     evaluate: Optional[Callable[[nn.Module], float]] = None) -> Dict[str, dict]:
    """Params, GMACs, eager and ONNX Runtime batch-1 latency, and mAP.

    All ``2 x len(variants)`` latency paths are timed interleaved
    (:func:`~mmdet_efficientdet.measure.latency.inference_call` on
    :func:`~mmdet_efficientdet.utils.timing.interleaved_times`), so the ratios
    between variants come from one run on this machine.

    Args:
        variants (dict): name -> eval-mode detector.
        size (ImageSizeLike): Input size, a square side or ``(H, W)``.
        threads (int): Torch and ORT threads.
        runs (int): Timed calls per path.
        macs: model -> multiply-adds (default: the dense count).
        evaluate: model -> mAP (0-1), or None.

    Returns:
        dict: name -> ``params``, ``nonzero_params``, ``gmacs``,
        ``eager_ms``, ``ort_ms`` (medians), ``eager_x``, ``ort_x`` (ratio to
        the first variant), ``mAP`` (x100, when ``evaluate``).
    """
    torch.set_num_threads(threads)
    size = to_image_size(size)
    rows: Dict[str, dict] = {}
    fns = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, model) in enumerate(variants.items()):
            model.eval()
            size_ = measure_complexity(model, *size)
            rows[name] = dict(
                params=size_.params,
                nonzero_params=nonzero_params(model),
                gmacs=(macs(model) if macs else size_.flops) / 1e9)
            for inference_path, key in (('eager', 'eager'), ('ort-fp32', 'ort')):
                fns[(name, key)] = inference_call(model, size, inference_path,
                                                  osp.join(tmp, f'{i}-{key}'), threads)
        with torch.no_grad():
            times = interleaved_times(fns, runs, WARMUP_CALLS)
    for (name, inference_path), values in times.items():
        rows[name][f'{inference_path}_ms'] = statistics.median(values) * 1e3
    first = next(iter(rows.values()))
    for row in rows.values():
        row['eager_x'] = row['eager_ms'] / first['eager_ms']
        row['ort_x'] = row['ort_ms'] / first['ort_ms']
    if evaluate is not None:
        for name, model in variants.items():
            rows[name]['mAP'] = evaluate(model) * 100
    return rows


def measure_effective(variants: Dict[str, nn.Module],
                      size: ImageSizeLike,
                      threads: int = 2,
                      runs: int = 15,
                      evaluate: Optional[Callable[[nn.Module], float]] = None) -> Dict[str, dict]:
    """:func:`measure_variants` with the *effective* multiply-adds (activation
    and weight masks counted as skipped work,
    :func:`~.complexity.effective_macs`)."""
    height, width = to_image_size(size)
    return measure_variants(
        variants,
        size,
        threads,
        runs,
        macs=lambda m: effective_macs(m, height, width),
        evaluate=evaluate)


def format_rows(rows: Dict[str, dict]) -> str:
    """A fixed-width table of :func:`measure_variants` rows."""
    header = (f'{"variant":<30}{"params":>11}{"nonzero":>11}{"GMACs":>8}'
              f'{"eager ms":>10}{"x":>6}{"ORT ms":>9}{"x":>6}{"mAP":>7}')
    lines = [header, '-' * len(header)]
    for name, row in rows.items():
        lines.append(f'{name:<30}{row["params"]:>11,}{row["nonzero_params"]:>11,}'
                     f'{row["gmacs"]:>8.3f}{row["eager_ms"]:>10.1f}'
                     f'{row["eager_x"]:>6.2f}{row["ort_ms"]:>9.1f}{row["ort_x"]:>6.2f}' +
                     (f'{row["mAP"]:>7.1f}' if 'mAP' in row else f'{"-":>7}'))
    return '\n'.join(lines)


@dataclass
class CompareResult:
    """Rows of :func:`measure_variants` for several models.

    Attributes:
        image_size (int): Square input.
        threads (int): Threads of every path.
        rows (dict): name -> :func:`measure_variants` row.
    """
    image_size: int
    threads: int
    rows: Dict[str, dict]

    def table(self) -> str:
        return (f'{self.image_size}x{self.image_size}, {self.threads} '
                f'threads, batch 1; ratios to {next(iter(self.rows))}\n' + format_rows(self.rows))
