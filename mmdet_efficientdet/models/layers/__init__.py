from .active_prefix import ActivePrefixList
from .batch_norm import EffDetBatchNorm2d
from .block_string import BlockArgs, format_block_string, parse_block_string
from .fused_mbconv import FusedMBConv
from .padding import MaxPool2dDown, fast_zero_pad, same_conv_cfg, same_pad_amount, same_pads
from .prior_prob_bias_init import PriorProbBiasInit
from .same_pad_conv import Conv2dSamePadding
from .tf_norm import TF_BN, tf_bn_cfg
from .weighted_fusion import FUSION_MODES, WeightedFusion
from .winner_mask import WinnerMask

__all__ = [
    'ActivePrefixList', 'EffDetBatchNorm2d', 'BlockArgs', 'format_block_string',
    'parse_block_string', 'FusedMBConv', 'MaxPool2dDown', 'same_conv_cfg', 'Conv2dSamePadding',
    'fast_zero_pad', 'same_pad_amount', 'same_pads', 'TF_BN', 'tf_bn_cfg', 'FUSION_MODES',
    'WeightedFusion', 'WinnerMask', 'PriorProbBiasInit'
]
