"""BiFPN neck (Tan, Pang, Le, EfficientDet, CVPR 2020)."""
from __future__ import annotations
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule, build_activation_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import nn

from ..layers.padding import MaxPool2dDown
from ..layers.tf_norm import TF_BN
from ..layers.weighted_fusion import FUSION_MODES, WeightedFusion
from .bifpn_topology import FusionNode, NodeSpec, bifpn_nodes, parse_nodes


def _channel_adapter(in_channels: int,
                     out_channels: int,
                     norm_cfg: dict,
                     force: bool = False) -> nn.Module:
    """1x1 conv + BN when the channel counts differ (or ``force``), identity
    otherwise."""
    if in_channels == out_channels and not force:
        return nn.Identity()
    return ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)


class BiFPNNode(nn.Module):
    """One fusion node: resample inputs, fuse them, then act + separable conv + BN.

    Args:
        node (FusionNode): Level and input indices of the node.
        input_levels (list[int]): Pyramid level of every feature index.
        input_channels (list[int]): Channels of every feature index.
        out_channels (int): BiFPN width.
        fusion (str): Fusion mode, see :class:`WeightedFusion`.
        eps (float): Fast-fusion epsilon.
        same_padding (bool): TF ``'SAME'`` padding for the max-pool.
        norm_cfg (dict): Norm config.
        act_cfg (dict): Activation config (applied before the conv).
        forced (int): Feature indices below this always get a 1x1 conv +
            BN adapter, even at the BiFPN width.
    """

    def __init__(self,
                 node: FusionNode,
                 input_levels: List[int],
                 input_channels: List[int],
                 out_channels: int,
                 fusion: str,
                 eps: float,
                 same_padding: bool,
                 norm_cfg: dict,
                 act_cfg: dict,
                 forced: int = 0) -> None:
        super().__init__()
        self.level = node.level
        self.inputs = node.inputs
        self.input_levels = [input_levels[i] for i in node.inputs]
        for lvl in self.input_levels:
            if abs(lvl - node.level) > 1:
                raise ValueError(f'node at P{node.level} takes P{lvl}: only '
                                 f'adjacent levels can be resampled')
        self.adapters = nn.ModuleList(
            _channel_adapter(input_channels[i], out_channels, norm_cfg, force=i < forced)
            for i in node.inputs)
        self.downsample = MaxPool2dDown(same_padding)
        self.fusion = WeightedFusion(len(node.inputs), fusion, eps)
        self.act = build_activation_layer(act_cfg)
        self.conv = DepthwiseSeparableConvModule(
            out_channels,
            out_channels,
            3,
            padding=1,
            bias=False,
            dw_norm_cfg=None,
            dw_act_cfg=None,
            pw_norm_cfg=norm_cfg,
            pw_act_cfg=None)

    def forward(self, feats: List[torch.Tensor], size: Tuple[int, int]) -> torch.Tensor:
        """Compute the node.

        Args:
            feats (list[Tensor]): All features computed so far, indexed as in
                :mod:`bifpn_topology`; each ``(N, C_i, H_l, W_l)``.
            size (tuple[int, int]): ``(H, W)`` of this node's level.

        Returns:
            Tensor: ``(N, out_channels, H, W)``.
        """
        resampled = []
        for idx, lvl, adapter in zip(self.inputs, self.input_levels, self.adapters):
            x = adapter(feats[idx])
            if lvl < self.level:
                x = self.downsample(x)
            elif lvl > self.level:
                # plain ints: constant Resize sizes when traced at a fixed size
                x = F.interpolate(x, size=(int(size[0]), int(size[1])), mode='nearest')
            resampled.append(x)
        return self.conv(self.act(self.fusion(resampled)))


class BiFPNLayer(nn.Module):
    """One BiFPN layer: all fusion nodes of :func:`bifpn_nodes` in order.

    Args:
        in_channels (list[int]): Channels of the layer's inputs, P_min..P_max.
        min_level (int): Level of the first input.
        nodes (list[FusionNode]): The topology.
        **node_kwargs: Passed to :class:`BiFPNNode`.
    """

    def __init__(self, in_channels: List[int], min_level: int, nodes: List[FusionNode],
                 out_channels: int, **node_kwargs) -> None:
        super().__init__()
        num_levels = len(in_channels)
        levels = list(range(min_level, min_level + num_levels))
        channels = list(in_channels)
        self.nodes = nn.ModuleList()
        for node in nodes:
            self.nodes.append(BiFPNNode(node, levels, channels, out_channels, **node_kwargs))
            levels.append(node.level)
            channels.append(out_channels)
        self.num_levels = num_levels
        self.min_level = min_level
        # feature index of each level's output: the last node writing it
        self.output_index = [
            max(i for i, lvl in enumerate(levels) if lvl == level)
            for level in range(min_level, min_level + num_levels)
        ]

    def forward(self, inputs: List[torch.Tensor]) -> List[torch.Tensor]:
        """Map ``L`` maps ``(N, C_l, H_l, W_l)`` to ``L`` maps ``(N, W, H_l, W_l)``."""
        feats = list(inputs)
        for node in self.nodes:
            size = inputs[node.level - self.min_level].shape[-2:]
            feats.append(node(feats, size))
        return [feats[i] for i in self.output_index]


@MODELS.register_module()
class BiFPN(BaseModule):
    """Bi-directional feature pyramid network with weighted fusion.

    Levels above the backbone's (P6, P7, and P8 for D7x) are made from the top
    backbone map by a 1x1 conv + BN (when channels differ) and 3x3/2 max-pools.
    Then ``num_stages`` layers of the node list ``nodes`` (the topology as
    data; default: the paper's BiFPN, :func:`bifpn_nodes`) run in sequence.
    Resampling sizes are read from the tensors at run time, so any input
    size works: at sides not divisible by ``2 ** max_level`` the coarse
    levels have ``ceil`` sizes (Lite0 at 320: P7 is 3x3), as in automl.

    Args:
        in_channels (list[int]): Channels of the backbone maps, lowest level
            first (e.g. ``[40, 112, 320]`` for B0 P3–P5).
        out_channels (int): BiFPN width ``W_bifpn``.
        num_outs (int): Number of output levels (5 for P3–P7, 6 for P3–P8).
        num_stages (int): BiFPN depth ``D_bifpn``. Defaults to 3.
        min_level (int): Pyramid level of ``in_channels[0]``. Defaults to 3.
        fusion (str): ``'fast'`` (fast normalized), ``'softmax'`` or
            ``'sum'``. Defaults to ``'fast'``.
        eps (float): Fast-fusion epsilon. Defaults to 1e-4.
        same_padding (bool): TF ``'SAME'`` padding in max-pools (TF weights).
        norm_cfg (dict): Norm config; TF eps/momentum by default.
        act_cfg (dict): Activation before each fused conv. Defaults to SiLU.
        nodes (list, optional): One layer's fusion nodes, each
            ``dict(level=l, inputs=(i, j, ...))``: feature indices
            ``0 .. num_outs-1`` are the layer's inputs P_min.., ``num_outs + k``
            is node ``k``'s output; a layer outputs the last node of each
            level. None (default) is the paper's BiFPN
            (:func:`bifpn_nodes`); e.g. ``panet_nodes(3, 7)`` gives PANet.
            Checked by :func:`parse_nodes`.
        adapt_inputs (bool): Give every backbone input (and the first extra
            level) its 1x1 conv + BN adapter even where its width equals
            ``out_channels`` (by default such inputs are used as they are).
            Channel pruning sets it when a pruned backbone width lands on
            the BiFPN width, so the trained adapter is kept. Defaults to
            False.
        init_cfg (dict | list[dict], optional): Initialization config.

    Example:
        >>> import torch
        >>> neck = BiFPN([40, 112, 320], 64, num_outs=5).eval()
        >>> feats = [torch.rand(1, c, s, s) for c, s in [(40, 32), (112, 16), (320, 8)]]
        >>> [tuple(o.shape) for o in neck(feats)]
        [(1, 64, 32, 32), (1, 64, 16, 16), (1, 64, 8, 8), (1, 64, 4, 4), (1, 64, 2, 2)]
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_outs: int = 5,
                 num_stages: int = 3,
                 min_level: int = 3,
                 fusion: str = 'fast',
                 eps: float = 1e-4,
                 same_padding: bool = False,
                 norm_cfg: Dict = TF_BN,
                 act_cfg: Dict = dict(type='SiLU'),
                 nodes: Optional[Sequence[NodeSpec]] = None,
                 adapt_inputs: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        in_channels = list(in_channels)
        if fusion not in FUSION_MODES:
            raise ValueError(f'fusion={fusion!r} is not one of {FUSION_MODES}')
        if not in_channels:
            raise ValueError('in_channels must name at least one input level')
        if num_outs < len(in_channels) or num_outs < 2:
            raise ValueError(f'num_outs={num_outs} must be >= '
                             f'len(in_channels)={len(in_channels)} and >= 2')
        if num_stages < 1:
            raise ValueError(f'num_stages={num_stages} must be >= 1')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_outs = num_outs
        self.min_level = min_level
        self.max_level = min_level + num_outs - 1

        self.extra_levels = nn.ModuleList()
        channels = in_channels[-1]
        for _ in range(num_outs - len(in_channels)):
            self.extra_levels.append(
                nn.Sequential(
                    _channel_adapter(
                        channels,
                        out_channels,
                        norm_cfg,
                        force=adapt_inputs and not self.extra_levels), MaxPool2dDown(same_padding)))
            channels = out_channels

        if nodes is None:
            nodes = bifpn_nodes(self.min_level, self.max_level)
        #: The topology of every layer (checked :class:`FusionNode` list).
        self.nodes: List[FusionNode] = parse_nodes(nodes, self.min_level, self.max_level)
        level_channels = in_channels + [out_channels] * (num_outs - len(in_channels))
        self.stages = nn.ModuleList()
        for _ in range(num_stages):
            self.stages.append(
                BiFPNLayer(
                    level_channels,
                    min_level,
                    self.nodes,
                    out_channels,
                    fusion=fusion,
                    eps=eps,
                    same_padding=same_padding,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                    forced=len(in_channels) if adapt_inputs and not self.stages else 0))
            level_channels = [out_channels] * num_outs

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Fuse backbone maps into the pyramid.

        Args:
            inputs (Sequence[Tensor]): ``len(in_channels)`` maps, the ``i``-th of
                shape ``(N, in_channels[i], H / 2**(min_level+i), W / 2**(min_level+i))``.

        Returns:
            tuple[Tensor]: ``num_outs`` maps of shape
            ``(N, out_channels, H / 2**l, W / 2**l)`` for levels ``l`` from
            ``min_level`` to ``max_level``.
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'BiFPN got {len(inputs)} inputs, expected '
                             f'{len(self.in_channels)} (in_channels)')
        feats = list(inputs)
        for extra in self.extra_levels:
            feats.append(extra(feats[-1]))
        for lvl in range(1, len(feats)):
            expected = tuple((s + 1) // 2 for s in feats[lvl - 1].shape[-2:])
            if tuple(feats[lvl].shape[-2:]) != expected:
                raise ValueError(f'BiFPN level P{self.min_level + lvl} has size '
                                 f'{tuple(feats[lvl].shape[-2:])}, expected {expected}: each '
                                 f'input level must halve the previous one')
        for stage in self.stages:
            feats = stage(feats)
        return tuple(feats)
