"""Export-time copy of the EfficientDet head with its convs unshared per level.

The head runs the same separable convs on every pyramid level, each followed
by that level's BatchNorm. A runtime that quantizes a conv's bias with the
scale of its input (XNNPACK int8: bias scale = input scale x weight scale)
cannot give one shared conv the different input scales of five levels:
ExecuTorch 1.5.1 refuses such a program when it loads
(``Failed to create convolution node ... xnn_status_invalid_parameter``).
Giving each level its own copy of the convs, with that level's BN folded in,
computes the same outputs and removes the sharing (the file holds the head's
weights once per level).
"""
from __future__ import annotations
import copy
from typing import List, Sequence, Tuple

from torch import Tensor, nn

from .bn_folding import fold_bn


def _folded(conv: nn.Module, bn: nn.Module) -> nn.Module:
    """A copy of a separable conv (mmcv ``DepthwiseSeparableConvModule``)
    with ``bn`` folded into its pointwise conv (in float64); another norm
    type stays a module after the copy."""
    conv = copy.deepcopy(conv)
    if not isinstance(bn, nn.BatchNorm2d):
        return nn.Sequential(conv, copy.deepcopy(bn))
    fold_bn(conv.pointwise_conv.conv, bn)
    return conv


class _LevelBranch(nn.Module):
    """One branch (class or box) of one level: its own folded convs, the
    activation after each, then its own prediction conv."""

    def __init__(self, convs: Sequence[nn.Module], bns: Sequence[nn.Module], level: int,
                 act: nn.Module, pred: nn.Module) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            _folded(conv, level_bns[level]) for conv, level_bns in zip(convs, bns))
        self.act = copy.deepcopy(act)
        self.pred = copy.deepcopy(pred)

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.convs:
            x = self.act(conv(x))
        return self.pred(x)


class UnsharedHead(nn.Module):
    """The head's forward with per-level copies of its convs (eval mode
    only; BNs folded). Same outputs as ``head.forward`` in eval mode.

    Args:
        head: An ``EfficientDetSepBNHead`` in eval mode.

    Outputs:
        ``(cls_scores, bbox_preds)``: per-level ``(N, A*C, H_l, W_l)`` and
        ``(N, A*4, H_l, W_l)``, as the head's ``forward``.
    """

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.cls = nn.ModuleList(
            _LevelBranch(head.cls_convs, head.cls_bns, level, head.act, head.cls_pred)
            for level in range(head.num_levels))
        self.reg = nn.ModuleList(
            _LevelBranch(head.reg_convs, head.reg_bns, level, head.act, head.reg_pred)
            for level in range(head.num_levels))

    def forward(self, x: Sequence[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        return ([branch(feat) for branch, feat in zip(self.cls, x)],
                [branch(feat) for branch, feat in zip(self.reg, x)])


def unshare_head(detector: nn.Module) -> nn.Module:
    """Replace ``detector.bbox_head`` (in place, on an export copy) by its
    :class:`UnsharedHead`; returns ``detector``. Only ``_forward`` (the raw
    outputs) is meant to run afterwards."""
    detector.bbox_head = UnsharedHead(detector.bbox_head.eval())
    return detector
