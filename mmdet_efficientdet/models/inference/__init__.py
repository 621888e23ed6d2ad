"""Inference beyond one forward pass: sliced inference over tiles and the
merging of the detections of several views."""
from .detection_merge import MATCH_METRICS, MERGE_METHODS, merge_detections, pairwise_overlap
from .sliced_inference import SliceSettings, sliced_predict, tile_grid, tile_starts

__all__ = [
    'MATCH_METRICS', 'MERGE_METHODS', 'merge_detections', 'pairwise_overlap', 'SliceSettings',
    'sliced_predict', 'tile_grid', 'tile_starts'
]
