from .efficientdet import CheckpointShapeError, EfficientDet

__all__ = ['CheckpointShapeError', 'EfficientDet']
