"""Progressive learning (EfficientNetV2, Tan & Le 2021, Algorithm 1)."""
from __future__ import annotations
import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from mmcv.transforms import Compose
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop

from ..config_utils import SIZE_KEYS, with_image_size

Number = Union[int, float]
Value = Union[Number, Sequence[Number]]


@dataclass(frozen=True)
class StageSettings:
    """What one progressive-learning stage trains with.

    Attributes:
        stage (int): Stage index ``i`` in ``[0, num_stages)``.
        image_size (int, optional): Square training input size ``S_i``.
        drop_path_rate (float, optional): Backbone stochastic depth rate.
        pipeline_params (dict): ``'Transform.arg'`` -> value in this stage.
    """
    stage: int
    image_size: Optional[int] = None
    drop_path_rate: Optional[float] = None
    pipeline_params: Dict[str, Value] = field(default_factory=dict)


def interpolate(start: Value, end: Value, fraction: float) -> Value:
    """``start + (end - start) * fraction``, element-wise for sequences.

    Example:
        >>> interpolate((0.5, 1.5), (0.1, 2.0), 0.5)
        (0.3, 1.75)
    """
    if isinstance(start, (list, tuple)):
        if not isinstance(end, (list, tuple)) or len(start) != len(end):
            raise ValueError(f'cannot interpolate {start!r} to {end!r}: '
                             'both must be numbers or same-length sequences')
        return tuple(interpolate(a, b, fraction) for a, b in zip(start, end))
    value = start + (end - start) * fraction
    if isinstance(start, int) and isinstance(end, int):
        return int(round(value))
    return round(value, 10)


@HOOKS.register_module()
class ProgressiveLearningHook(Hook):
    """Grow the training image size and the regularisation together.

    Training (an ``EpochBasedTrainLoop`` of ``E`` epochs) is split into
    ``M = num_stages`` equal stages; epoch ``e`` is in stage
    ``i = min(M - 1, e * M // E)``. At stage ``i`` every value is
    interpolated linearly from its (first, last) pair:
    ``v_i = v_0 + (v_e - v_0) * i / (M - 1)``, as Algorithm 1 of the
    EfficientNetV2 paper does for the image size and each regulariser.

    - ``image_size``: every size argument of the training pipeline
      (``scale``, ``crop_size``, ``size``: ``RandomResize``, ``RandomCrop``,
      ``Pad``, ...) becomes ``(S_i, S_i)``, rounded to ``size_divisor``.
    - ``drop_path_rate``: the backbone's stochastic depth
      (``backbone.set_drop_path_rate``).
    - ``pipeline_params``: any transform argument, e.g. the scale-jitter range
      ``'RandomResize.ratio_range'``, a RandAugment-style ``magnitude`` or a
      mix-up ``alpha``; numbers or same-length tuples.

    The training dataset's pipeline is rebuilt from its config at each stage
    change (persistent dataloader workers are restarted so they see it).

    Args:
        num_stages (int): Number of stages ``M`` (at least 2).
        image_size (tuple[int, int], optional): ``(S_0, S_e)``.
        drop_path_rate (tuple[float, float], optional): First and last rate.
        pipeline_params (dict, optional): ``'Type.arg'`` -> ``(first, last)``.
        size_divisor (int): Image sizes are rounded to a multiple of this.
            Defaults to 32.

    Example (config)::

        custom_hooks = [dict(
            type='ProgressiveLearningHook', num_stages=4,
            image_size=(512, 1024), drop_path_rate=(0.1, 0.2),
            pipeline_params={'RandomResize.ratio_range': ((0.5, 1.5),
                                                          (0.1, 2.0))})]
    """

    priority = 'NORMAL'

    def __init__(self,
                 num_stages: int,
                 image_size: Optional[Tuple[int, int]] = None,
                 drop_path_rate: Optional[Tuple[float, float]] = None,
                 pipeline_params: Optional[Dict[str, Tuple[Value, Value]]] = None,
                 size_divisor: int = 32) -> None:
        if int(num_stages) != num_stages or num_stages < 2:
            raise ValueError(f'num_stages={num_stages!r} must be an int >= 2')
        if size_divisor < 1:
            raise ValueError(f'size_divisor={size_divisor} must be >= 1')
        self.num_stages = int(num_stages)
        self.size_divisor = int(size_divisor)
        self.image_size = self._pair('image_size', image_size)
        if self.image_size and min(self.image_size) < self.size_divisor:
            raise ValueError(f'image_size={image_size} must be at least '
                             f'size_divisor={size_divisor}')
        self.drop_path_rate = self._pair('drop_path_rate', drop_path_rate)
        if self.drop_path_rate and not all(0 <= r < 1 for r in self.drop_path_rate):
            raise ValueError(f'drop_path_rate={drop_path_rate} must be in [0, 1)')
        self.pipeline_params: Dict[str, Tuple[Value, Value]] = {}
        for key, pair in (pipeline_params or {}).items():
            if key.count('.') != 1 or not all(key.split('.')):
                raise ValueError(f'pipeline_params key {key!r} must be '
                                 "'TransformType.argument'")
            self.pipeline_params[key] = self._pair(key, pair)
            interpolate(*self.pipeline_params[key], 0.0)  # shape check
        if not (self.image_size or self.drop_path_rate or self.pipeline_params):
            raise ValueError('ProgressiveLearningHook needs at least one of '
                             'image_size, drop_path_rate, pipeline_params')
        self.current_stage: Optional[int] = None
        self._dataset: Any = None
        self._base_pipeline: List[dict] = []

    @staticmethod
    def _pair(name: str, value: Any) -> Optional[Tuple[Any, Any]]:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError(f'{name}={value!r} must be a (first, last) pair')
        return tuple(value)

    def stage_settings(self, stage: int) -> StageSettings:
        """The values used in stage ``stage`` (pure; no runner needed)."""
        if not 0 <= stage < self.num_stages:
            raise ValueError(f'stage={stage} not in [0, {self.num_stages})')
        fraction = stage / (self.num_stages - 1)
        size = None
        if self.image_size:
            raw = interpolate(float(self.image_size[0]), float(self.image_size[1]), fraction)
            size = max(self.size_divisor, int(round(raw / self.size_divisor)) * self.size_divisor)
        rate = (
            interpolate(float(self.drop_path_rate[0]), float(self.drop_path_rate[1]), fraction)
            if self.drop_path_rate else None)
        params = {
            key: interpolate(first, last, fraction)
            for key, (first, last) in self.pipeline_params.items()
        }
        return StageSettings(stage, size, rate, params)

    def stage_of_epoch(self, epoch: int, max_epochs: int) -> int:
        """Stage index of a 0-based epoch."""
        return min(self.num_stages - 1, epoch * self.num_stages // max_epochs)

    # ------------------------------------------------------------------
    def before_train(self, runner) -> None:
        """Find the training dataset and check every setting applies."""
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError('ProgressiveLearningHook splits training into '
                            'stages by epoch and needs an EpochBasedTrainLoop, '
                            f'got {type(runner.train_loop).__name__}')
        if runner.max_epochs < self.num_stages:
            raise ValueError(f'max_epochs={runner.max_epochs} is fewer than '
                             f'num_stages={self.num_stages}')
        dataset = runner.train_loop.dataloader.dataset
        dataset_cfg = runner.cfg.train_dataloader.dataset
        while not hasattr(dataset, 'pipeline') and hasattr(dataset, 'dataset'):
            dataset, dataset_cfg = dataset.dataset, dataset_cfg.dataset
        if 'pipeline' not in dataset_cfg:
            raise ValueError('ProgressiveLearningHook: the training dataset '
                             'config has no pipeline to change')
        self._dataset = dataset
        self._base_pipeline = [dict(t) for t in dataset_cfg.pipeline]
        types = {t['type'] for t in self._base_pipeline}
        if self.image_size and not any(k in t for t in self._base_pipeline for k in SIZE_KEYS):
            raise ValueError('image_size is set but no training transform has '
                             f'a size argument ({", ".join(SIZE_KEYS)})')
        for key in self.pipeline_params:
            type_name, arg = key.split('.')
            if type_name not in types:
                raise ValueError(f'pipeline_params {key!r}: no {type_name} in '
                                 f'the training pipeline ({sorted(types)})')
            if not any(t['type'] == type_name and arg in t for t in self._base_pipeline):
                raise ValueError(f'pipeline_params {key!r}: {type_name} in the '
                                 f'training pipeline has no argument {arg!r}')
        if self.drop_path_rate:
            backbone = getattr(self._model(runner), 'backbone', None)
            if not hasattr(backbone, 'set_drop_path_rate'):
                raise TypeError('drop_path_rate needs a backbone with '
                                'set_drop_path_rate() (EfficientNetBackbone), '
                                f'got {type(backbone).__name__}')

    def before_train_epoch(self, runner) -> None:
        """Switch to the stage of this epoch if it changed."""
        stage = self.stage_of_epoch(runner.epoch, runner.max_epochs)
        if stage == self.current_stage:
            return
        settings = self.stage_settings(stage)
        self._dataset.pipeline = Compose(self.stage_pipeline(settings))
        loader = runner.train_loop.dataloader
        if getattr(loader, 'persistent_workers', False):
            # workers hold a copy of the dataset: make the loader start new ones
            loader._DataLoader__initialized = False
            loader._iterator = None
            loader._DataLoader__initialized = True
        if settings.drop_path_rate is not None:
            self._model(runner).backbone.set_drop_path_rate(settings.drop_path_rate)
        self.current_stage = stage
        runner.message_hub.update_info('progressive_stage', stage)
        runner.logger.info(f'progressive learning: epoch {runner.epoch + 1} starts stage '
                           f'{stage + 1}/{self.num_stages}: image_size={settings.image_size}, '
                           f'drop_path_rate={settings.drop_path_rate}, '
                           f'pipeline={settings.pipeline_params}')

    @staticmethod
    def _model(runner):
        """The trained model, unwrapped from DDP-style wrappers."""
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def stage_pipeline(self, settings: StageSettings) -> List[dict]:
        """The training pipeline config of one stage."""
        pipeline = copy.deepcopy(self._base_pipeline)
        if settings.image_size is not None:
            pipeline = with_image_size(pipeline, settings.image_size)
        for key, value in settings.pipeline_params.items():
            type_name, arg = key.split('.')
            for transform in pipeline:
                if transform['type'] == type_name and arg in transform:
                    transform[arg] = value
        return pipeline
