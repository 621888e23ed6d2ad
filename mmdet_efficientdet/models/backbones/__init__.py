from .efficientnet import EfficientNetBackbone

__all__ = ['EfficientNetBackbone']
