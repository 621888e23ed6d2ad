"""Weight EMA with TensorFlow's warm-up (automl ``moving_average_decay``)."""
from __future__ import annotations

from mmdet.registry import MODELS
from mmengine.model import ExponentialMovingAverage
from torch import Tensor


@MODELS.register_module()
class WarmupExponentialMovingAverage(ExponentialMovingAverage):
    """mmengine's EMA with automl's decay warm-up.

    automl averages with ``tf.train.ExponentialMovingAverage(decay,
    num_updates=global_step)``, whose decay at update ``t`` is
    ``min(decay, (1 + t) / (10 + t))``: the average follows the weights closely
    early in training instead of staying near the random initialisation. Use
    it through mmengine's ``EMAHook(ema_type='WarmupExponentialMovingAverage',
    momentum=1 - decay)``.

    Args: as :class:`~mmengine.model.ExponentialMovingAverage` (``momentum``
        is ``1 - decay``).

    Example:
        >>> import torch
        >>> ema = WarmupExponentialMovingAverage(torch.nn.Linear(1, 1),
        ...                                      momentum=0.0002)
        >>> round(ema.decay_at(1), 4), round(ema.decay_at(10 ** 6), 4)
        (0.1818, 0.9998)
    """

    def decay_at(self, steps: int) -> float:
        """The decay of update number ``steps``."""
        return min(1.0 - self.momentum, (1.0 + steps) / (10.0 + steps))

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        """``avg = decay_t * avg + (1 - decay_t) * param``."""
        averaged_param.lerp_(source_param, 1.0 - self.decay_at(steps))
