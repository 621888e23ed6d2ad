"""EfficientDet detector."""
from __future__ import annotations
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.detectors import SingleStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

from ...errors import UserError
from ..inference.sliced_inference import SliceSettings, sliced_predict

#: Mismatched tensors a :class:`CheckpointShapeError` names.
MAX_NAMED = 3


class CheckpointShapeError(UserError, ValueError):
    """A checkpoint's tensors do not fit the model (another architecture)."""


def slice_settings(test_cfg: OptConfigType, size_divisor: int) -> Optional[SliceSettings]:
    """``test_cfg.slice`` checked (None without it).

    Raises:
        ValueError: a bad key, or a tile side that is not a multiple of the
            model's ``size_divisor``.
    """
    cfg = (test_cfg or {}).get('slice')
    if not cfg:
        return None
    settings = SliceSettings.from_cfg(cfg)
    if any(side % size_divisor for side in settings.tile):
        raise ValueError(f'model.test_cfg.slice.tile={settings.tile}: each side must be a '
                         f'multiple of {size_divisor} (the pad_size_divisor)')
    return settings


@MODELS.register_module()
class EfficientDet(SingleStageDetector):
    """EfficientDet: EfficientNet backbone + BiFPN neck + shared-conv heads.

    A :class:`SingleStageDetector` that also checks the input size: every side
    must be divisible by the data preprocessor's ``pad_size_divisor`` (the
    coarsest pyramid stride: 128 for P3–P7, 256 for D7x's P8; 64 for Lite0 and
    Lite2, see :func:`~mmdet_efficientdet.config_utils.level_size_divisor`).
    With ``test_cfg.slice`` it predicts by sliced inference
    (:mod:`~mmdet_efficientdet.models.inference.sliced_inference`).

    Args:
        backbone, neck, bbox_head, train_cfg, test_cfg, data_preprocessor,
            init_cfg: as :class:`mmdet.models.detectors.SingleStageDetector`.
        channels_last (bool): Run the network on channels-last
            (``torch.channels_last``, NHWC) tensors: the images are converted
            on entry and the conv weights are stored NHWC. Values are the same
            (to float rounding) and checkpoints are unchanged, but CPU
            depthwise convs are much faster this way, in training and
            inference alike. Defaults to True.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 channels_last: bool = True) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)
        self.slicing = slice_settings(test_cfg, self.size_divisor)

    def predict(self,
                batch_inputs: torch.Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """mmdet's prediction, or sliced inference with ``test_cfg.slice``."""
        if self.slicing is None:
            return super().predict(batch_inputs, batch_data_samples, rescale)
        results = sliced_predict(self._forward, self.bbox_head, batch_inputs,
                                 [s.metainfo for s in batch_data_samples], self.slicing, rescale)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _load_from_state_dict(self, state_dict: Dict[str, torch.Tensor], prefix: str, *args,
                              **kwargs) -> None:
        """Refuse a checkpoint whose shapes differ outside the class layer.

        Every route that loads weights (``load_from``, ``--resume``, mmdet's
        ``tools/test.py``, ``DetInferencer``, the EMA copy) reaches this first.
        Only the class-prediction layer (``bbox_head.class_dependent_prefixes``)
        may differ: mmengine then skips it and logs the mismatch, so a
        fine-tune on other classes starts that layer afresh. Testing and
        inference refuse that too (:func:`~mmdet_efficientdet.models.trained.
        check_checkpoint_fits`).

        Raises:
            CheckpointShapeError: naming the first mismatched keys and both
                shapes, and how many there are.
        """
        self.check_state_dict_shapes(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def class_layer_keys(self) -> Tuple[str, ...]:
        """Prefixes of the tensors whose shape depends on ``num_classes``."""
        return tuple('bbox_head.' + p
                     for p in getattr(self.bbox_head, 'class_dependent_prefixes', ()))

    def check_state_dict_shapes(self,
                                state_dict: Dict[str, torch.Tensor],
                                prefix: str = '') -> List[str]:
        """Compare a state dict's shapes with this model's.

        Args:
            state_dict: Tensors by name (``prefix`` + the model's key).
            prefix: Prefix of this model's keys in ``state_dict``.

        Returns:
            list[str]: The class-prediction tensors whose shapes differ
            (another number of classes), as ``'key: checkpoint (..), model
            (..)'``.

        Raises:
            CheckpointShapeError: A tensor outside the class-prediction layer
                differs in shape (another level or config).
        """
        allowed = self.class_layer_keys()
        own = self.state_dict()
        mismatched: List[str] = []
        class_layer: List[str] = []
        for key, value in state_dict.items():
            if not key.startswith(prefix):
                continue
            name = key[len(prefix):]
            if (name in own and hasattr(value, 'shape')
                    and tuple(value.shape) != tuple(own[name].shape)):
                line = (f'{name}: checkpoint {tuple(value.shape)}, '
                        f'model {tuple(own[name].shape)}')
                (class_layer if name.startswith(allowed) else mismatched).append(line)
        if mismatched:
            raise CheckpointShapeError(f'checkpoint does not fit this model: {len(mismatched)} '
                                       f'tensor(s) differ in shape outside the class-prediction '
                                       f'layer (a checkpoint of another EfficientDet level or '
                                       f'config?), first: {"; ".join(mismatched[:MAX_NAMED])}')
        return class_layer

    def init_weights(self) -> None:
        """Initialise (or load ``Pretrained``) weights, keeping the layout."""
        super().init_weights()
        if self.channels_last:  # a loaded checkpoint may replace parameters
            self.to(memory_format=torch.channels_last)

    @property
    def size_divisor(self) -> int:
        """Input sides must be multiples of this: the data preprocessor's
        ``pad_size_divisor`` (the coarsest stride, 128; 64 for Lite0/Lite2,
        whose 320/448 inputs give P7 a ``ceil`` size and automl's fractional
        anchor stride), or the coarsest stride without one."""
        divisor = getattr(self.data_preprocessor, 'pad_size_divisor', 0)
        return int(divisor) if divisor and divisor > 1 else \
            int(max(s[0] for s in self.bbox_head.prior_generator.strides))

    def extract_feat(self, batch_inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Backbone + BiFPN features of ``(N, 3, H, W)`` images.

        Returns:
            tuple[Tensor]: One map ``(N, W_bifpn, H / s, W / s)`` per stride ``s``.
        """
        height, width = batch_inputs.shape[-2:]
        divisor = self.size_divisor
        if height % divisor or width % divisor:
            raise ValueError(f'input size {int(height)}x{int(width)} is not divisible by '
                             f'{divisor} (data_preprocessor.pad_size_divisor, the '
                             f'coarsest pyramid stride the level supports)')
        if self.channels_last:
            batch_inputs = batch_inputs.contiguous(memory_format=torch.channels_last)
        return super().extract_feat(batch_inputs)
