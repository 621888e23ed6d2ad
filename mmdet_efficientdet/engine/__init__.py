from .amp import apply_amp
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .cpu_bf16_optim_wrapper import CpuBf16OptimWrapper
from .cpu_distributed_runner import CpuDistributedRunner
from .non_finite_loss_hook import NonFiniteLossHook, TrainingDivergedError
from .progressive_learning_hook import ProgressiveLearningHook, StageSettings, interpolate
from .warmup_ema import WarmupExponentialMovingAverage

__all__ = [
    'AtomicCheckpointHook', 'CpuBf16OptimWrapper', 'CpuDistributedRunner', 'NonFiniteLossHook',
    'ProgressiveLearningHook', 'StageSettings', 'TrainingDivergedError',
    'WarmupExponentialMovingAverage', 'apply_amp', 'interpolate'
]
