"""The measuring layer every upper floor calls: latency of models on an
inference path (:mod:`.latency`, on :mod:`.timing`'s interleaved runs),
complexity (:mod:`.complexity`: parameters, multiply-adds) and the boundary of
a monotone measured cost (:mod:`.search`)."""
from .complexity import Complexity, count_params, measure_complexity
from .latency import PATHS, measure_latencies, measure_latency, path_call
from .search import bisect_boundary, first_crossing, gallop
from .timing import interleaved_times, median_ms, p90

__all__ = [
    'Complexity', 'PATHS', 'bisect_boundary', 'count_params', 'first_crossing', 'gallop',
    'interleaved_times', 'measure_complexity', 'measure_latencies', 'measure_latency', 'median_ms',
    'path_call', 'p90'
]
