from .efficientdet import EfficientDet

__all__ = ['EfficientDet']
