"""Weight conversion from public EfficientDet / EfficientNet checkpoints."""
from .common import (CheckpointMismatchError, ConversionReport, load_untrusted_state_dict,
                     save_converted)
from .effdet import COCO80_INDEX_IN_90, convert_effdet
from .lukemelas_efficientnet import convert_lukemelas_efficientnet, is_lukemelas_state_dict
from .timm_efficientnet import convert_timm_efficientnet, timm_backbone_key

__all__ = [
    'CheckpointMismatchError', 'ConversionReport', 'load_untrusted_state_dict', 'save_converted',
    'COCO80_INDEX_IN_90', 'convert_effdet', 'convert_lukemelas_efficientnet',
    'is_lukemelas_state_dict', 'convert_timm_efficientnet', 'timm_backbone_key'
]
