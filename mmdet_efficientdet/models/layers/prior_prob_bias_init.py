"""An ``init_cfg`` initializer that sets only biases, from a class prior."""
from __future__ import annotations

from mmengine.model.weight_init import BaseInit, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import nn


@WEIGHT_INITIALIZERS.register_module(name='PriorProbBias')
class PriorProbBiasInit(BaseInit):
    """Set the bias of every conv (of ``layer``, or of the whole module when
    used as an ``override``) to ``-log((1 - p) / p)`` and leave the weights as
    they are.

    mmengine's ``Normal(..., bias_prob=p)`` override draws the weights again;
    EfficientDet's head (automl ``class_net``) draws every conv once and then
    sets the class prediction's bias from the prior, which this expresses::

        init_cfg = dict(type='Normal', layer='Conv2d', std=0.01,
                        override=dict(type='PriorProbBias', name='cls_pred',
                                      prior_prob=0.01))

    Args:
        prior_prob (float): The prior ``p`` of the positive class.
        layer (str | list[str], optional): Layer types (without an override).

    Example:
        >>> from mmengine.model import initialize
        >>> conv = nn.Conv2d(2, 3, 1)
        >>> weight = conv.weight.clone()
        >>> initialize(conv, dict(type='PriorProbBias', layer='Conv2d', prior_prob=0.01))
        >>> round(float(conv.bias[0]), 4), bool((conv.weight == weight).all())
        (-4.5951, True)
    """

    def __init__(self, prior_prob: float, **kwargs) -> None:
        super().__init__(bias_prob=float(prior_prob), **kwargs)

    def __call__(self, module: nn.Module) -> None:

        def init(m: nn.Module) -> None:
            wanted = self.wholemodule or m.__class__.__name__ in self.layer
            if wanted and isinstance(m, nn.modules.conv._ConvNd) and m.bias is not None:
                nn.init.constant_(m.bias, self.bias)

        module.apply(init)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())
