from .efficientdet_head import EfficientDetSepBNHead

__all__ = ['EfficientDetSepBNHead']
