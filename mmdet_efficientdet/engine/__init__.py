from .atomic_checkpoint_hook import AtomicCheckpointHook
from .non_finite_loss_hook import NonFiniteLossHook, TrainingDivergedError
from .progressive_learning_hook import (ProgressiveLearningHook, StageSettings,
                                        interpolate)

__all__ = ['AtomicCheckpointHook', 'NonFiniteLossHook',
           'ProgressiveLearningHook', 'StageSettings', 'TrainingDivergedError',
           'interpolate']
