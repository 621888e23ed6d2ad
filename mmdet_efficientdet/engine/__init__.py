from .non_finite_loss_hook import NonFiniteLossHook
from .progressive_learning_hook import (ProgressiveLearningHook, StageSettings,
                                        interpolate)

__all__ = ['NonFiniteLossHook', 'ProgressiveLearningHook', 'StageSettings',
           'interpolate']
