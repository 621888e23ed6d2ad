"""Prunable channel groups of an EfficientDet, found by Torch-Pruning's DepGraph.

A *channel group* is a set of channels that must be removed together: the
output channels of one conv and every tensor they flow into (BN, depthwise
conv, SE, the next convs' inputs, residual adds, BiFPN fusions, the head's
per-level BNs). Torch-Pruning's ``DependencyGraph`` traces the model and
finds these couplings, including the residual adds of a stage, the BiFPN's
weighted sums over all nodes and levels, and the head's convs shared across
levels with one BN per level. What it cannot know is *which* of its groups
our configs can describe; this module names them after the config numbers
they change:

================  ===============================================  ==================================
group             DepGraph root conv (its output channels)          config number
================  ===============================================  ==================================
``stem``          ``backbone.stem.conv`` (+ first ``ds`` block)     ``backbone.channels.stem``
``s{i}.b{j}.mid`` ``backbone.stages.i.j.expand_conv.conv``          ``backbone.channels.mid[i][j]``
``s{i}.out``      ``backbone.stages.i.0.linear_conv.conv`` (+adds)  ``backbone.channels.stage_out[i]``
``bifpn``         a BiFPN node conv (all nodes, levels, adapters)   ``neck.out_channels``
``head``          6 groups: every ``{cls,reg}_convs.k`` pointwise   ``bbox_head.feat_channels``
================  ===============================================  ==================================

Written here, not by Torch-Pruning: the ``head`` group joins six DepGraph
groups (three stacked convs per branch) because the config has one
``feat_channels`` for all of them, and the fusion weights of the BiFPN
(one scalar per *input*, not per channel) are excluded from tracing -
DepGraph would otherwise treat them as per-channel parameters and cut them.
SE squeeze widths and the class/box prediction outputs are not pruned.
"""
from __future__ import annotations
import fnmatch
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import torch
from torch import nn

from ..errors import UserError
from ..models.backbones.efficientnet import EfficientNetBackbone
from ..models.layers.weighted_fusion import WeightedFusion
from ..models.raw_outputs import RawOutputs
from ..utils.image_size import ImageSize


class PruningError(UserError, ValueError):
    """A pruning request this model cannot satisfy: an unknown group, a ratio
    or target out of range, a table that cannot reach the target."""


@dataclass
class ChannelGroup:
    """One prunable group.

    Attributes:
        name (str): ``'stem'``, ``'s3.b1.mid'``, ``'s3.out'``, ``'bifpn'``,
            ``'head'``.
        kind (str): ``'stem'``, ``'mid'``, ``'stage_out'``, ``'bifpn'`` or
            ``'head'``.
        roots (list[str]): Module names of the convs whose output channels
            define it (one, or six for ``head``).
        channels (int): Current width.
    """
    name: str
    kind: str
    roots: List[str]
    channels: int


@dataclass
class GroupGraph:
    """A detector's dependency graph and its named channel groups."""
    detector: nn.Module
    graph: object  # torch_pruning.DependencyGraph
    groups: Dict[str, ChannelGroup] = field(default_factory=dict)

    def module(self, name: str) -> nn.Module:
        return self.detector.get_submodule(name)

    def pruning_groups(self, group: ChannelGroup, idxs: List[int]):
        """The DepGraph groups that remove ``idxs`` from ``group``."""
        # torch_pruning loads only when a model is pruned (optional heavy runtime)
        import torch_pruning as tp
        return [
            self.graph.get_pruning_group(self.module(root), tp.prune_conv_out_channels, idxs)
            for root in group.roots
        ]


def _fusion_weights(detector: nn.Module) -> List[nn.Parameter]:
    return [
        p for m in detector.modules() if isinstance(m, WeightedFusion)
        for p in m.parameters(recurse=False)
    ]


def build_group_graph(detector: nn.Module, image_size: ImageSize = (128, 128)) -> GroupGraph:
    """Trace ``detector`` (an :class:`EfficientDet` with our backbone, BiFPN
    and separable head) and name its prunable channel groups.

    Args:
        detector: The model (modified later in place by pruning).
        image_size: Trace input ``(H, W)``; any size the model accepts.

    Raises:
        ValueError: the model is not built from the modules named above.
    """
    # torch_pruning loads only when a model is pruned (optional heavy runtime)
    import torch_pruning as tp

    backbone = getattr(detector, 'backbone', None)
    if not isinstance(backbone, EfficientNetBackbone) or not hasattr(detector.bbox_head,
                                                                     'cls_convs'):
        raise ValueError('pruning needs an EfficientDet with '
                         'EfficientNetBackbone, BiFPN and EfficientDetSepBNHead')
    was_training = detector.training
    detector.eval()
    # Torch-Pruning follows autograd: frozen layers (frozen_stages, e.g. the
    # fine-tuning templates' stem) must require grad while it traces (and
    # the backbone re-freezes them on every train()/eval() call it makes)
    frozen = [p for p in detector.parameters() if not p.requires_grad]
    frozen_stages, backbone.frozen_stages = backbone.frozen_stages, -1
    for param in frozen:
        param.requires_grad_(True)
    try:
        graph = tp.DependencyGraph().build_dependency(
            RawOutputs(detector),
            example_inputs=torch.zeros(1, 3, *image_size),
            ignored_params=_fusion_weights(detector),
            verbose=False)
    finally:
        for param in frozen:
            param.requires_grad_(False)
        backbone.frozen_stages = frozen_stages
        detector.train(was_training)
    found = GroupGraph(detector, graph)

    def add(name, kind, roots):
        found.groups[name] = ChannelGroup(name, kind, roots,
                                          detector.get_submodule(roots[0]).out_channels)

    add('stem', 'stem', ['backbone.stem.conv'])
    for i, stage in enumerate(backbone.stages):
        for j, block in enumerate(stage):
            expand = getattr(block, 'expand_conv', None)
            if expand is not None and hasattr(expand, 'conv'):
                add(f's{i}.b{j}.mid', 'mid', [f'backbone.stages.{i}.{j}.expand_conv.conv'])
        if getattr(stage[0], 'linear_conv', None) is not None:
            add(f's{i}.out', 'stage_out', [f'backbone.stages.{i}.0.linear_conv.conv'])
    add('bifpn', 'bifpn', ['neck.stages.0.nodes.0.conv.pointwise_conv.conv'])
    head = detector.bbox_head
    add('head', 'head', [
        f'bbox_head.{b}_convs.{k}.pointwise_conv.conv' for b in ('cls', 'reg')
        for k in range(len(head.cls_convs))
    ])
    return found


def expand_groups(patterns: Sequence[str], names: Sequence[str]) -> List[str]:
    """Group names matching any of ``patterns`` (``fnmatch``: ``s3.*``)."""
    out = []
    for pattern in patterns:
        hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise PruningError(f'unknown channel group {pattern!r}; groups: '
                               f'{", ".join(names)}')
        out += [h for h in hits if h not in out]
    return out
