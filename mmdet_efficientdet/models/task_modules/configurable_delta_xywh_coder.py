"""Delta (dx, dy, dw, dh) box coder with a configurable size-ratio clamp."""
from __future__ import annotations
from typing import Optional

from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.models.task_modules.coders.delta_xywh_bbox_coder import delta2bbox
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import HorizontalBoxes, get_box_tensor


@TASK_UTILS.register_module()
class ConfigurableDeltaXYWHBBoxCoder(DeltaXYWHBBoxCoder):
    """:class:`DeltaXYWHBBoxCoder` whose ``wh_ratio_clip`` is a config value.

    mmdet clamps ``dw, dh`` to ``|log(16 / 1000)|`` when decoding (boxes at
    most 62.5x larger or smaller than their anchor); google/automl (and effdet)
    do not clamp. ``wh_ratio_clip=None`` decodes as automl does, which the
    ported checkpoints' configs use for exact parity.

    Decoding ``(N, 4)`` deltas always goes through mmdet's ``delta2bbox``, also
    while exporting to ONNX (mmdet 3.3's ONNX branch imports the removed
    ``mmdet.core``), so the exported graph decodes exactly as PyTorch does.

    Args:
        wh_ratio_clip (float | None): Smallest allowed size ratio; None for no
            clamp. Defaults to mmdet's 16/1000.
        **kwargs: :class:`DeltaXYWHBBoxCoder` arguments.
    """

    #: |log| of this is ~36.8: exp() of it stays finite in float32
    NO_CLIP = 1e-16

    def __init__(self, wh_ratio_clip: Optional[float] = 16 / 1000, **kwargs) -> None:
        super().__init__(**kwargs)
        if wh_ratio_clip is not None and not 0 < wh_ratio_clip < 1:
            raise ValueError(f'wh_ratio_clip={wh_ratio_clip} must be in (0, 1) '
                             f'or None')
        self.wh_ratio_clip = self.NO_CLIP if wh_ratio_clip is None \
            else wh_ratio_clip

    def decode(self, bboxes, pred_bboxes, max_shape=None, wh_ratio_clip: Optional[float] = None):
        """As :meth:`DeltaXYWHBBoxCoder.decode` with the configured clamp.

        Args:
            bboxes (Tensor | BaseBoxes): Anchors ``(N, 4)`` (or ``(B, N, 4)``).
            pred_bboxes (Tensor): Deltas of the same shape.
            max_shape (tuple, optional): ``(H, W)`` to clip boxes to.
            wh_ratio_clip (float, optional): Overrides the configured clamp.

        Returns:
            Tensor | HorizontalBoxes: Boxes ``(N, 4)`` xyxy.
        """
        clip = wh_ratio_clip or self.wh_ratio_clip
        if pred_bboxes.ndim != 2:
            return super().decode(bboxes, pred_bboxes, max_shape=max_shape, wh_ratio_clip=clip)
        decoded = delta2bbox(
            get_box_tensor(bboxes), pred_bboxes, self.means, self.stds, max_shape, clip,
            self.clip_border, self.add_ctr_clamp, self.ctr_clamp)
        return HorizontalBoxes(decoded) if self.use_box_type else decoded
