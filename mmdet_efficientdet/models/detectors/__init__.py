from .efficientdet import CheckpointShapeError, EfficientDet
from .efficientdet_supernet import EfficientDetSupernet

__all__ = ['CheckpointShapeError', 'EfficientDet', 'EfficientDetSupernet']
