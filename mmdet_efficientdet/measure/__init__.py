"""The measuring layer every upper floor calls: latency of models on an
inference path (:mod:`.latency`, on :mod:`.timing`'s interleaved runs),
complexity (:mod:`.complexity`: parameters, multiply-adds), the boundary of
a monotone measured cost (:mod:`.search`) and the CPU's attainable peak
(:mod:`.peak`)."""
from .complexity import Complexity, MacCount, count_macs, count_params, measure_complexity
from .latency import (PATHS, check_paths, measure_latencies, measure_latency, path_call,
                      path_runners, random_calibration)
from .search import bisect_boundary, first_crossing, gallop
from .timing import interleaved_times, median_ms, p90

__all__ = [
    'Complexity', 'MacCount', 'PATHS', 'bisect_boundary', 'check_paths', 'count_macs',
    'count_params', 'first_crossing', 'gallop', 'interleaved_times', 'measure_complexity',
    'measure_latencies', 'measure_latency', 'median_ms', 'path_call', 'path_runners', 'p90',
    'random_calibration'
]
