from .block_string import BlockArgs, parse_block_string
from .fused_mbconv import FusedMBConv
from .padding import MaxPool2dDown, same_conv_cfg
from .same_pad_conv import Conv2dSamePadding, same_pad_amount
from .weighted_fusion import FUSION_MODES, WeightedFusion

__all__ = [
    'BlockArgs', 'parse_block_string', 'FusedMBConv', 'MaxPool2dDown',
    'same_conv_cfg', 'Conv2dSamePadding', 'same_pad_amount', 'FUSION_MODES',
    'WeightedFusion'
]
