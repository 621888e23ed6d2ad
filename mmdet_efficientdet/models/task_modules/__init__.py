from .tf_anchor_generator import TFAnchorGenerator
from .configurable_delta_xywh_coder import ConfigurableDeltaXYWHBBoxCoder

__all__ = ['TFAnchorGenerator', 'ConfigurableDeltaXYWHBBoxCoder']
