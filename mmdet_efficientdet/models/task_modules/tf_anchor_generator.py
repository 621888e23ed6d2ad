"""Anchors with TensorFlow/automl aspect pairs (e.g. ``(1.4, 0.7)``)."""
from __future__ import annotations
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmdet.models.task_modules.prior_generators import AnchorGenerator
from mmdet.registry import TASK_UTILS
from torch import Tensor

AspectPair = Tuple[float, float]

#: automl's original anchor aspects ``(w, h)``, used by the public checkpoints.
TF_ASPECT_RATIOS: Tuple[AspectPair, ...] = ((1.0, 1.0), (1.4, 0.7), (0.7, 1.4))


def _as_pair(aspect: Union[float, Sequence[float]]) -> AspectPair:
    """``(w_mult, h_mult)`` of one aspect: a pair as is, a float ``w/h`` as
    ``(sqrt(a), 1 / sqrt(a))`` (automl's convention for float aspects)."""
    if isinstance(aspect, (int, float)):
        if aspect <= 0:
            raise ValueError(f'aspect_ratios: {aspect} must be > 0')
        root = float(aspect)**0.5
        return (root, 1.0 / root)
    pair = tuple(float(v) for v in aspect)
    if len(pair) != 2 or min(pair) <= 0:
        raise ValueError(f'aspect_ratios: {aspect!r} is not a (w, h) pair of '
                         f'positive multipliers')
    return pair


@TASK_UTILS.register_module()
class TFAnchorGenerator(AnchorGenerator):
    """:class:`AnchorGenerator` taking automl's ``(w, h)`` aspect pairs.

    automl's original EfficientDet checkpoints (and rwightman's ``effdet``
    ports of them) use the aspects ``[(1.0, 1.0), (1.4, 0.7), (0.7, 1.4)]``:
    an anchor of size ``s`` is ``1.4 s`` wide and ``0.7 s`` high, not mmdet's
    ``sqrt(2) s`` by ``s / sqrt(2)``. Weights trained with those anchors need
    exactly those anchors. Anchors are ordered as in automl: scale-major over
    the octave scales, the aspects inside (``scale_major=False`` in mmdet's
    naming), so index ``a = scale * num_aspects + aspect``.

    Args:
        strides (list[int]): Strides of the levels, e.g. ``[8, ..., 128]``.
        aspect_ratios (list): ``(w_mult, h_mult)`` pairs, or floats ``w/h``
            (turned into ``(sqrt(a), 1/sqrt(a))``).
        octave_base_scale (float): automl ``anchor_scale`` (anchor size =
            ``octave_base_scale * stride * 2**(i / scales_per_octave)``).
        scales_per_octave (int): automl ``num_scales``.
        center_offset (float): Anchor centre inside its cell; automl 0.5.
        **kwargs: Other :class:`AnchorGenerator` arguments.

    Inputs whose sides are not multiples of the coarsest stride (Lite0 at
    320: P7 is ``ceil(320 / 128) = 3`` cells) get automl's strides
    (``anchors.py``): a level's stride is the input size over its feature
    size (320 / 3 = 106.7 at P7), so the anchors of every level span the
    image; at multiples of every stride these are the nominal strides and
    the anchors are mmdet's.

    Example:
        >>> gen = TFAnchorGenerator(strides=[8], octave_base_scale=4,
        ...                         scales_per_octave=1,
        ...                         aspect_ratios=[(1.0, 1.0), (1.4, 0.7)])
        >>> gen.base_anchors[0]
        tensor([[-12.0000, -12.0000,  20.0000,  20.0000],
                [-18.4000,  -7.2000,  26.4000,  15.2000]])
    """

    def __init__(self,
                 strides: List[int],
                 aspect_ratios: Sequence[Union[float, Sequence[float]]] = (TF_ASPECT_RATIOS),
                 octave_base_scale: float = 4.0,
                 scales_per_octave: int = 3,
                 center_offset: float = 0.5,
                 **kwargs) -> None:
        if 'ratios' in kwargs or 'scale_major' in kwargs:
            raise ValueError('TFAnchorGenerator takes aspect_ratios (w, h '
                             'pairs) and fixes the automl order; do not pass '
                             'ratios or scale_major')
        if not aspect_ratios:
            raise ValueError('aspect_ratios must not be empty')
        self.aspect_pairs = [_as_pair(a) for a in aspect_ratios]
        super().__init__(
            strides=strides,
            ratios=[h / w for w, h in self.aspect_pairs],
            octave_base_scale=octave_base_scale,
            scales_per_octave=scales_per_octave,
            center_offset=center_offset,
            scale_major=False,
            **kwargs)

    def grid_priors(self,
                    featmap_sizes: List[Tuple[int, int]],
                    dtype: torch.dtype = torch.float32,
                    device='cuda') -> List[Tensor]:
        """Anchors ``(H_l * W_l * A, 4)`` of every level, xyxy.

        The input size is read from the finest level
        (``featmap_sizes[0] * strides[0]``); a level whose feature size does
        not divide it evenly gets automl's stride ``input / feature size``.
        """
        assert self.num_levels == len(featmap_sizes)
        stride0_w, stride0_h = self.strides[0]
        image_h = featmap_sizes[0][0] * stride0_h
        image_w = featmap_sizes[0][1] * stride0_w
        priors = []
        for level, (feat_h, feat_w) in enumerate(featmap_sizes):
            stride_w, stride_h = self.strides[level]
            if feat_h * stride_h == image_h and feat_w * stride_w == image_w:
                priors.append(
                    self.single_level_grid_priors((feat_h, feat_w),
                                                  level,
                                                  dtype=dtype,
                                                  device=device))
                continue
            priors.append(
                self._fractional_grid_priors((feat_h, feat_w), image_h / feat_h, image_w / feat_w,
                                             level, dtype, device))
        return priors

    def _fractional_grid_priors(self, featmap_size: Tuple[int, int], stride_h: float,
                                stride_w: float, level: int, dtype: torch.dtype, device) -> Tensor:
        """One level's anchors at automl's (non-integer) stride: centres,
        sizes and shifts are all proportional to the stride, so they are the
        nominal-stride anchors scaled by ``stride / nominal stride``."""
        nominal_w, nominal_h = self.strides[level]
        anchors = self.single_level_grid_priors(featmap_size, level, dtype=dtype, device=device)
        scale = anchors.new_tensor([
            stride_w / nominal_w, stride_h / nominal_h, stride_w / nominal_w, stride_h / nominal_h
        ])
        return anchors * scale

    def gen_single_level_base_anchors(self,
                                      base_size: Union[int, float],
                                      scales: Tensor,
                                      ratios: Tensor,
                                      center: Optional[Tuple[float, float]] = None) -> Tensor:
        """Base anchors ``(num_scales * num_aspects, 4)`` of one level, xyxy.

        Args:
            base_size (float): The level's stride.
            scales (Tensor): ``(num_scales,)`` octave scales times the base
                scale.
            ratios (Tensor): Unused (the pairs are exact, not sqrt'ed).
            center (tuple[float, float], optional): Anchor centre in the cell.
        """
        if center is None:
            x_center = y_center = self.center_offset * base_size
        else:
            x_center, y_center = center
        pairs = torch.tensor(self.aspect_pairs, dtype=scales.dtype)
        ws = (base_size * scales[:, None] * pairs[None, :, 0]).reshape(-1)
        hs = (base_size * scales[:, None] * pairs[None, :, 1]).reshape(-1)
        return torch.stack(
            [x_center - 0.5 * ws, y_center - 0.5 * hs, x_center + 0.5 * ws, y_center + 0.5 * hs],
            dim=-1)
