from .configurable_delta_xywh_coder import ConfigurableDeltaXYWHBBoxCoder
from .tf_anchor_generator import TFAnchorGenerator

__all__ = ['TFAnchorGenerator', 'ConfigurableDeltaXYWHBBoxCoder']
