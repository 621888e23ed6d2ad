"""An EfficientNet supernet: one set of weights, elastic kernel, expansion and
depth per stage (Once-for-All, Cai et al. 2020)."""
from __future__ import annotations
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from torch import nn

from ..layers.block_string import parse_block_string
from ..layers.padding import fast_zero_pad, same_pads
from ..layers.same_pad_conv import Conv2dSamePadding
from .efficientnet import EfficientNetBackbone, network_def

#: One stage's active ``(kernel, expansion, depth)``.
StageChoice = Tuple[int, float, int]


def embed_tensor(small: torch.Tensor, large: torch.Tensor) -> torch.Tensor:
    """``small`` placed in a zero tensor of ``large``'s shape: channel dims
    at the start, the spatial dims of a conv kernel (the last two of a 4-d
    weight) centred. A 3x3 kernel in a 5x5 with a zero ring computes the same
    function."""
    out = torch.zeros_like(large)
    index = []
    for dim, (s, n) in enumerate(zip(small.shape, large.shape)):
        start = (n - s) // 2 if small.dim() == 4 and dim >= 2 else 0
        index.append(slice(start, start + s))
    out[tuple(index)] = small
    return out


def crop_tensor(large: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """The part of ``large`` a smaller choice uses: leading channels, the
    centre of a conv kernel (the inverse of :func:`embed_tensor`)."""
    index = []
    for dim, (n, s) in enumerate(zip(large.shape, shape)):
        start = (n - s) // 2 if large.dim() == 4 and dim >= 2 else 0
        index.append(slice(start, start + s))
    return large[tuple(index)]


def _bn(bn: nn.modules.batchnorm._BatchNorm, x: torch.Tensor, channels: int) -> torch.Tensor:
    """``bn`` on the first ``channels`` channels (its statistics updated in
    place in training; a None momentum gives the cumulative average, as
    :class:`torch.nn.BatchNorm2d` does)."""
    training = bn.training or not bn.track_running_stats
    factor = 0.0
    if bn.training and bn.track_running_stats:
        bn.num_batches_tracked.add_(1)
        factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
    return F.batch_norm(x, bn.running_mean[:channels] if bn.track_running_stats else None,
                        bn.running_var[:channels] if bn.track_running_stats else None,
                        bn.weight[:channels], bn.bias[:channels], training, factor, bn.eps)


def _conv_bn_act(module: ConvModule,
                 x: torch.Tensor,
                 out_channels: int,
                 kernel: Optional[int] = None,
                 depthwise: bool = False) -> torch.Tensor:
    """A ConvModule run with its first ``out_channels`` filters (of the
    input's channels) and the centre ``kernel`` of its kernel."""
    conv = module.conv
    weight = conv.weight[:out_channels] if depthwise else \
        conv.weight[:out_channels, :x.shape[1]]
    kernel = kernel or weight.shape[-1]
    weight = crop_tensor(weight, (*weight.shape[:2], kernel, kernel))
    padding = kernel // 2
    if isinstance(conv, Conv2dSamePadding) and conv.stride != (1, 1):  # TF 'SAME'
        pads = same_pads(x.shape[-2:], (kernel, kernel), conv.stride, (1, 1))
        x, padding = fast_zero_pad(x, pads) if any(pads) else x, 0
    x = F.conv2d(x, weight, None, conv.stride, padding, 1, out_channels if depthwise else 1)
    x = _bn(module.norm, x, out_channels)
    return module.activate(x) if module.with_activation else x


@MODELS.register_module()
class ElasticEfficientNetBackbone(EfficientNetBackbone):
    """The EfficientNet of ``blocks`` (the largest choice of every stage) that
    runs any smaller choice with a part of its weights.

    A stage's active ``(kernel, expansion, depth)`` (:meth:`set_choice`)
    runs its first ``depth`` blocks, each with the first
    ``int(in_channels * expansion)`` expansion channels (sorted by importance
    at initialisation, :meth:`sort_channels`) and the centre ``kernel x
    kernel`` of the depthwise kernels. The weights are those of the plain
    :class:`EfficientNetBackbone` of ``blocks``, so a sub-network's weights
    are cut out by key (:func:`crop_tensor`).

    With ``init_cfg=dict(type='ImageNetPretrained', ...)`` the parent network
    (``arch``'s own block strings, e.g. EfficientNet-Lite0) is loaded and
    embedded: larger kernels take the parent's in their centre (zero ring),
    so the parent's choice computes the parent's function.

    Args:
        blocks (Sequence[str]): Block strings of the largest network (MBConv
            ``ir`` / ``ds`` stages; no SE; same strides and widths as the
            parent).
        **kwargs: As :class:`EfficientNetBackbone` (``channels`` must be
            None).

    Example:
        >>> net = ElasticEfficientNetBackbone(
        ...     'lite0', blocks=['ds_r1_k3_s1_e1_c16', 'ir_r2_k5_s2_e6_c24',
        ...                      'ir_r2_k5_s2_e6_c40', 'ir_r3_k5_s2_e6_c80',
        ...                      'ir_r3_k5_s1_e6_c112', 'ir_r4_k5_s2_e6_c192',
        ...                      'ir_r1_k3_s1_e6_c320']).eval()
        >>> net.set_choice([(3, 1, 1), (3, 4, 1), (3, 4, 1), (3, 4, 1), (3, 4, 1),
        ...                 (3, 4, 1), (3, 6, 1)])
        >>> [tuple(o.shape) for o in net(torch.rand(1, 3, 64, 64))]
        [(1, 40, 8, 8), (1, 112, 4, 4), (1, 320, 2, 2)]
    """

    def __init__(self, arch='lite0', *, blocks: Sequence[str], **kwargs) -> None:
        if kwargs.get('channels') is not None:
            raise ValueError('ElasticEfficientNetBackbone: channels (pruned widths) are not '
                             'elastic; leave it None')
        parsed = [parse_block_string(b) for b in blocks]
        if any(a.block_type not in ('ir', 'ds') or a.se_ratio for a in parsed):
            raise ValueError(f'ElasticEfficientNetBackbone: blocks={list(blocks)}: only MBConv '
                             f'stages without SE (ir/ds) are elastic')
        super().__init__(arch, blocks=blocks, **kwargs)
        self._build_kwargs = dict(kwargs)
        self.max_choice = [(a.kernel_size, a.expand_ratio, a.repeats) for a in parsed]
        self.choice = list(self.max_choice)

    def set_choice(self, stages: Sequence[StageChoice]) -> None:
        """Activate ``(kernel, expansion, depth)`` per stage (each at most
        the stage's largest)."""
        if len(stages) != len(self.max_choice):
            raise ValueError(f'choice has {len(stages)} stages, the supernet '
                             f'{len(self.max_choice)}')
        for i, (choice, largest) in enumerate(zip(stages, self.max_choice)):
            if any(c > m for c, m in zip(choice, largest)) or \
                    (choice[1] == 1) != (largest[1] == 1):
                raise ValueError(f'stage {i}: choice {tuple(choice)} is not within the '
                                 f'supernet\'s {largest}')
        self.choice = [tuple(c) for c in stages]

    def init_weights(self) -> None:
        """Default init; then the parent's ImageNet weights embedded if
        ``init_cfg`` asks for them; then channels sorted by importance."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'ImageNetPretrained':
            self.init_cfg = None
            try:
                super().init_weights()
            finally:
                self.init_cfg = cfg
            parent = EfficientNetBackbone(
                self.arch,
                out_indices=self.out_indices,
                init_cfg=cfg,
                **{
                    k: v
                    for k, v in self._build_kwargs.items() if k not in ('out_indices', 'init_cfg')
                })
            parent.init_weights()
            self.embed(parent.state_dict())
        else:
            super().init_weights()
        self.sort_channels()

    def embed(self, parent_state: Dict[str, torch.Tensor]) -> None:
        """Load a smaller network's weights (e.g. the parent's): every tensor
        embedded by :func:`embed_tensor`; blocks the parent lacks keep theirs."""
        own = self.state_dict()
        extra = sorted(set(parent_state) - set(own))
        if extra:
            raise ValueError(f'parent weights have keys the supernet lacks: {extra[:3]}')
        with torch.no_grad():
            for key, value in parent_state.items():
                if own[key].dim() == 0:
                    own[key].copy_(value)
                elif key.endswith('running_var'):
                    own[key].fill_(1.0)
                    own[key][:value.shape[0]] = value
                else:
                    own[key].copy_(embed_tensor(value, own[key]))

    @torch.no_grad()
    def sort_channels(self) -> None:
        """Reorder every block's expansion channels by the L1 norm of the
        projection weights that read them, largest first (OFA's channel
        sorting): a smaller expansion then keeps the most important channels.
        The largest network's function is unchanged."""
        for stage in self.stages:
            for block in stage:
                if not block.with_expand_conv:
                    continue
                order = block.linear_conv.conv.weight.abs().sum(dim=(0, 2,
                                                                     3)).argsort(descending=True)
                for module in (block.expand_conv, block.depthwise_conv):
                    module.conv.weight.copy_(module.conv.weight[order])
                    for name in ('weight', 'bias', 'running_mean', 'running_var'):
                        tensor = getattr(module.bn, name)
                        tensor.copy_(tensor[order])
                weight = block.linear_conv.conv.weight
                weight.copy_(weight[:, order])

    def _block(self, block: nn.Module, x: torch.Tensor, kernel: int, expand: float) -> torch.Tensor:
        """One MBConv block with the active kernel and expansion."""
        out = x
        if block.with_expand_conv:
            out = _conv_bn_act(block.expand_conv, out, int(x.shape[1] * expand))
        out = _conv_bn_act(block.depthwise_conv, out, out.shape[1], kernel, depthwise=True)
        out = _conv_bn_act(block.linear_conv, out, block.linear_conv.conv.out_channels)
        return x + block.drop_path(out) if block.with_res_shortcut else out

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Extract features with the active choice.

        Args:
            x (Tensor): Images ``(N, 3, H, W)``.

        Returns:
            tuple[Tensor]: As :meth:`EfficientNetBackbone.forward`.
        """
        x = self.stem(x)
        feats = {-1: x}
        for stage_id, (stage, (kernel, expand, depth)) in enumerate(zip(self.stages, self.choice)):
            for block in list(stage)[:depth]:
                x = self._block(block, x, kernel, expand)
            feats[stage_id] = x
        return tuple(feats[self._level_to_stage[i]] for i in self.out_indices)


def parent_blocks(arch) -> Tuple[str, ...]:
    """The block strings of the network ``arch`` names (the supernet's parent)."""
    return network_def(arch).blocks
