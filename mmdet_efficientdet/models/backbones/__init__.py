from .efficientnet import EfficientNetBackbone, efficientnet_feature_channels, plan_network

__all__ = ['EfficientNetBackbone', 'efficientnet_feature_channels', 'plan_network']
