"""The measuring layer every upper floor calls: latency of models on an
inference path (:mod:`.latency`, on :mod:`~mmdet_efficientdet.utils.timing`'s
interleaved runs), complexity (:mod:`.complexity`: parameters, multiply-adds,
the effective count of a masked model), the pruned-variant table
(:mod:`.pruned_variants`), peak training memory (:mod:`.memory`) of one train
step (:mod:`.train_step`), a config's 90-class COCO detector
(:mod:`.coco_detector`), a peer implementation (:mod:`.peer`) and the CPU's
attainable peak (:mod:`.peak`). The boundary search over a measured cost and
the interleaved timing loop are on the ground floor
(:mod:`~mmdet_efficientdet.utils.boundary_search`,
:mod:`~mmdet_efficientdet.utils.timing`) and re-exported here."""
from ..deployment import check_inference_paths
from ..utils.boundary_search import bisect_boundary, first_crossing, gallop
from ..utils.timing import interleaved_times, median_ms, p90
from .coco_detector import build_coco_detector
from .complexity import (Complexity, MacCount, count_macs, count_params, effective_macs,
                         measure_complexity, nonzero_params)
from .latency import (INFERENCE_PATHS, inference_call, inference_runners, measure_latencies,
                      measure_latency, random_calibration)
from .memory import peak_train_memory
from .peer import Peer, load_factory
from .pruned_variants import (CompareResult, OrtLatency, format_rows, measure_effective,
                              measure_variants)
from .train_step import random_detection_batch, train_step_fn

__all__ = [
    'Complexity', 'CompareResult', 'MacCount', 'OrtLatency', 'INFERENCE_PATHS', 'Peer',
    'bisect_boundary', 'build_coco_detector', 'check_inference_paths', 'count_macs', 'count_params',
    'effective_macs', 'first_crossing', 'format_rows', 'gallop', 'interleaved_times',
    'load_factory', 'measure_complexity', 'measure_effective', 'measure_latencies',
    'measure_latency', 'measure_variants', 'median_ms', 'nonzero_params', 'inference_call',
    'inference_runners', 'p90', 'peak_train_memory', 'random_calibration', 'random_detection_batch',
    'train_step_fn'
]
