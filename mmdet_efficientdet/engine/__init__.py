from .atomic_checkpoint_hook import AtomicCheckpointHook
from .non_finite_loss_hook import NonFiniteLossHook, TrainingDivergedError
from .progressive_learning_hook import ProgressiveLearningHook, StageSettings, interpolate
from .warmup_ema import WarmupExponentialMovingAverage

__all__ = [
    'AtomicCheckpointHook', 'NonFiniteLossHook', 'ProgressiveLearningHook', 'StageSettings',
    'TrainingDivergedError', 'WarmupExponentialMovingAverage', 'interpolate'
]
