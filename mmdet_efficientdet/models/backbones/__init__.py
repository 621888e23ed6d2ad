from .efficientnet import EfficientNetBackbone, efficientnet_feature_channels, plan_network
from .elastic_efficientnet import ElasticEfficientNetBackbone

__all__ = [
    'ElasticEfficientNetBackbone', 'EfficientNetBackbone', 'efficientnet_feature_channels',
    'plan_network'
]
