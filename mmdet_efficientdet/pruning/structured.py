"""Structured (channel) pruning of an EfficientDet to per-group ratios.

Kept widths are whole multiples of the processor's SIMD width (Scalpel, Yu et
al. ISCA 2017: on SIMD CPUs what is left must fill whole vector lanes, or the
remainder lanes run at the cost of full ones). The result is described by
numbers in the config (:func:`pruned_widths`, :func:`apply_widths`), never a
pickled module: the pruned config builds the pruned architecture, and its
checkpoint is an ordinary state dict.
"""
from __future__ import annotations
import copy
from typing import Dict, Optional, Tuple

import torch
from torch import nn

from ..utils.image_size import ImageSize
from .channel_groups import GroupGraph, PruningError, build_group_graph, expand_groups


def kept_channels(channels: int, ratio: float, round_to: int = 1) -> int:
    """Width left after pruning ``ratio`` of ``channels``, rounded to the
    nearest multiple of ``round_to`` (at least ``round_to``, at most
    ``channels``; ``ratio == 0`` keeps the width unchanged)."""
    if not 0 <= ratio < 1:
        raise PruningError(f'pruning ratio {ratio} must be in [0, 1)')
    if round_to < 1:
        raise PruningError(f'round_to={round_to} must be >= 1')
    if ratio == 0:
        return channels
    keep = int(round(channels * (1 - ratio) / round_to)) * round_to
    if keep > channels:  # e.g. 40 channels, 16 lanes: 48 is not there
        keep -= round_to
    return max(min(round_to, channels), keep)


def channel_importance(found: GroupGraph, name: str) -> torch.Tensor:
    """L2 magnitude of each channel over every tensor of its DepGraph group
    (Torch-Pruning's ``GroupMagnitudeImportance``).

    Returns:
        Tensor: ``(len(group.roots), channels)``: one row per root conv
        (``head`` has six independent convs; each keeps its own best
        channels, all to the same width).
    """
    # torch_pruning loads only when a model is pruned (optional heavy runtime)
    import torch_pruning as tp
    group = found.groups[name]
    importance = tp.importance.GroupMagnitudeImportance(p=2)
    rows = [importance(g) for g in found.pruning_groups(group, list(range(group.channels)))]
    return torch.stack(rows)


def prune_detector(detector: nn.Module,
                   ratios: Dict[str, float],
                   round_to: int = 1,
                   image_size: ImageSize = (128, 128),
                   found: Optional[GroupGraph] = None) -> Dict[str, Tuple[int, int]]:
    """Remove the least important channels of each named group, in place.

    Args:
        detector: An eval-able EfficientDet (:func:`build_group_graph`).
        ratios (dict): Group name or ``fnmatch`` pattern (``s3.b*.mid``)
            -> fraction of its channels to remove, in ``[0, 1)``. Names:
            ``stem``, ``s{i}.b{j}.mid``, ``s{i}.out``, ``bifpn``, ``head``.
        round_to (int): Kept widths are multiples of this (the SIMD width,
            :func:`simd_width`); 1 = unaligned.
        image_size: Trace input size.
        found: A graph already built for ``detector``.

    Returns:
        dict: group -> (width before, width after), for the pruned groups.

    Raises:
        PruningError: an unknown group or a ratio outside ``[0, 1)``.
    """
    # torch_pruning loads only when a model is pruned (optional heavy runtime)
    import torch_pruning as tp
    found = found or build_group_graph(detector, image_size)
    plan = {}
    for pattern, ratio in ratios.items():  # later patterns override
        for name in expand_groups([pattern], list(found.groups)):
            plan[name] = kept_channels(found.groups[name].channels, ratio, round_to)
    changes = {}
    for name, keep in plan.items():
        group = found.groups[name]
        if keep == group.channels:
            continue
        scores = channel_importance(found, name)
        for root, row in zip(group.roots, scores):
            drop = torch.argsort(row)[:group.channels - keep]
            found.graph.get_pruning_group(
                found.module(root), tp.prune_conv_out_channels,
                sorted(int(i) for i in drop)).prune()
        changes[name] = (group.channels, keep)
        group.channels = keep
    detector.train(detector.training)  # pruned frozen layers are frozen again
    return changes


def pruned_widths(detector: nn.Module) -> dict:
    """The config numbers of a (pruned) detector, read from its modules.

    Returns:
        dict: ``backbone_channels`` (the backbone's ``channels`` argument),
        ``neck_in_channels``, ``neck_out_channels``, ``neck_adapt_inputs``
        (a pruned input width equals the BiFPN width but keeps its adapter),
        ``head_feat_channels``.

    Raises:
        ValueError: the head's stacked convs have different widths (the
            config has one ``feat_channels``).
    """
    backbone = detector.backbone
    widths = dict(stem=backbone.stem.conv.out_channels, stage_out=[], mid=[], se=[])
    for stage in backbone.stages:
        widths['stage_out'].append(_out_channels(stage[-1]))
        widths['mid'].append([_mid_channels(b) for b in stage])
        widths['se'].append([
            b.se.conv1.conv.out_channels if getattr(b, 'se', None) is not None else 0 for b in stage
        ])
    head = detector.bbox_head
    feats = {
        c.pointwise_conv.conv.out_channels
        for c in list(head.cls_convs) + list(head.reg_convs)
    }
    if len(feats) != 1:
        raise ValueError(f'head convs have widths {sorted(feats)}: prune the '
                         f'head as one group')
    neck = detector.neck
    neck_in = [
        _out_channels(backbone.stages[backbone._level_to_stage[i]][-1])
        for i in backbone.out_indices
    ]
    width = neck.stages[0].nodes[0].conv.pointwise_conv.conv.out_channels
    # an input at the BiFPN width that still has its trained 1x1 adapter
    adapted = [
        not isinstance(a, nn.Identity) for node in neck.stages[0].nodes
        for i, a in zip(node.inputs, node.adapters) if i < len(neck_in) and neck_in[i] == width
    ]
    if len(set(adapted)) > 1:
        raise ValueError('BiFPN inputs at the BiFPN width are adapted in some '
                         'nodes and not in others: not expressible by config')
    return dict(
        backbone_channels=widths,
        neck_in_channels=neck_in,
        neck_out_channels=width,
        neck_adapt_inputs=any(adapted),
        head_feat_channels=feats.pop())


def _out_channels(block: nn.Module) -> int:
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    return convs[-1].out_channels


def _mid_channels(block: nn.Module) -> int:
    dw = getattr(block, 'depthwise_conv', None)
    if dw is not None:
        return dw.conv.out_channels
    return block.se.conv1.conv.in_channels if getattr(block, 'se', None) \
        is not None else _out_channels(block)


def apply_widths(model_cfg: dict, widths: dict) -> dict:
    """A copy of ``model_cfg`` (the config's ``model``) with pruned widths."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['backbone']['channels'] = copy.deepcopy(widths['backbone_channels'])
    model_cfg['neck']['in_channels'] = list(widths['neck_in_channels'])
    model_cfg['neck']['out_channels'] = widths['neck_out_channels']
    if widths['neck_adapt_inputs']:
        model_cfg['neck']['adapt_inputs'] = True
    model_cfg['bbox_head']['in_channels'] = widths['neck_out_channels']
    model_cfg['bbox_head']['feat_channels'] = widths['head_feat_channels']
    return model_cfg
