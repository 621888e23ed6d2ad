"""Latency measurement on a noisy machine: interleaved, ratios in one run."""
from __future__ import annotations
import statistics
import time
from typing import Any, Callable, Dict, List, Tuple

#: Untimed pause after each timed call (see :func:`interleaved_times`).
SETTLE_S = 0.05


def timed(fn: Callable[..., Any], *args, **kwargs) -> Tuple[Any, float]:
    """``(fn(*args, **kwargs), wall seconds)``: the one clock every timing
    of the package reads (this loop's, the AMP check's steps, a runtime's
    whole-program time).

    Example:
        >>> result, seconds = timed(sum, [1, 2, 3])
        >>> result, seconds >= 0
        (6, True)
    """
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def interleaved_times(fns: Dict[str, Callable[[], object]], runs: int,
                      warmup: int) -> Dict[str, List[float]]:
    """Wall times (s) of ``runs`` calls of each function, interleaved.

    Each round calls every function once, in turn, after ``warmup`` calls of
    each; background load then slows all of them alike, so ratios between
    them stay meaningful. A short untimed pause follows each call: thread
    pools (OpenMP, ONNX Runtime) busy-wait for a while after their work, and
    would otherwise slow the next path down.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            times[name].append(timed(fn)[1])
            time.sleep(SETTLE_S)
    return times


def median_ms(fns: Dict[str, Callable[[], object]],
              runs: int = 10,
              warmup: int = 2) -> Dict[str, float]:
    """Median latency (ms) of each function, measured interleaved."""
    return {
        name: statistics.median(values) * 1e3
        for name, values in interleaved_times(fns, runs, warmup).items()
    }


def p90(values: List[float]) -> float:
    """90th percentile (nearest rank) of ``values``."""
    return sorted(values)[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
