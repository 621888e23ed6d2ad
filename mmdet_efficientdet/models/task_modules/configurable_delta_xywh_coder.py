"""Delta (dx, dy, dw, dh) box coder with a configurable size-ratio clamp."""
from __future__ import annotations

from typing import Optional

from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.registry import TASK_UTILS


@TASK_UTILS.register_module()
class ConfigurableDeltaXYWHBBoxCoder(DeltaXYWHBBoxCoder):
    """:class:`DeltaXYWHBBoxCoder` whose ``wh_ratio_clip`` is a config value.

    mmdet clamps ``dw, dh`` to ``|log(16 / 1000)|`` when decoding (boxes at
    most 62.5x larger or smaller than their anchor); google/automl (and effdet)
    do not clamp. ``wh_ratio_clip=None`` decodes as automl does, which the
    ported checkpoints' configs use for exact parity.

    Args:
        wh_ratio_clip (float | None): Smallest allowed size ratio; None for no
            clamp. Defaults to mmdet's 16/1000.
        **kwargs: :class:`DeltaXYWHBBoxCoder` arguments.
    """

    #: |log| of this is ~36.8: exp() of it stays finite in float32
    NO_CLIP = 1e-16

    def __init__(self, wh_ratio_clip: Optional[float] = 16 / 1000,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if wh_ratio_clip is not None and not 0 < wh_ratio_clip < 1:
            raise ValueError(f'wh_ratio_clip={wh_ratio_clip} must be in (0, 1) '
                             f'or None')
        self.wh_ratio_clip = self.NO_CLIP if wh_ratio_clip is None \
            else wh_ratio_clip

    def decode(self, bboxes, pred_bboxes, max_shape=None,
               wh_ratio_clip: Optional[float] = None):
        """As :meth:`DeltaXYWHBBoxCoder.decode` with the configured clamp."""
        return super().decode(
            bboxes, pred_bboxes, max_shape=max_shape,
            wh_ratio_clip=wh_ratio_clip or self.wh_ratio_clip)
