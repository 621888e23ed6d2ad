from .tf_anchor_generator import TFAnchorGenerator

__all__ = ['TFAnchorGenerator']
