"""EfficientNet B0–B7 backbone defined by block strings and scaled by multipliers."""
from __future__ import annotations
import fnmatch
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks import DropPath
from mmdet.models.layers import InvertedResidual
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...scaling import efficientnet_scale, round_channels, round_repeats
from ..layers.block_string import BlockArgs, parse_block_string
from ..layers.fused_mbconv import FusedMBConv
from ..layers.padding import same_conv_cfg
from ..layers.tf_norm import TF_BN
from ..layers.winner_mask import WinnerMask
from .imagenet_init import load_imagenet_weights

#: A backbone: a row name of ``EFFICIENTNET_SCALES`` or multipliers as data.
Arch = Union[str, Mapping]

#: EfficientNet-B0 stages (Tan & Le 2019, Table 1), widths/depths before scaling.
EFFICIENTNET_B0_BLOCKS: Tuple[str, ...] = (
    'ds_r1_k3_s1_e1_c16_se0.25',
    'ir_r2_k3_s2_e6_c24_se0.25',
    'ir_r2_k5_s2_e6_c40_se0.25',
    'ir_r3_k3_s2_e6_c80_se0.25',
    'ir_r3_k5_s1_e6_c112_se0.25',
    'ir_r4_k5_s2_e6_c192_se0.25',
    'ir_r1_k3_s1_e6_c320_se0.25',
)
EFFICIENTNET_STEM_CHANNELS = 32

#: EfficientNet-Lite stages (official ``efficientnet/lite/efficientnet_lite_builder.py``):
#: B0's stages without squeeze-excitation (poorly supported by int8 runtimes).
EFFICIENTNET_LITE_BLOCKS: Tuple[str, ...] = tuple(
    b.replace('_se0.25', '') for b in EFFICIENTNET_B0_BLOCKS)


class NetworkDef(NamedTuple):
    """An unscaled network.

    Attributes:
        stem_channels (int): Stem width before scaling.
        blocks (tuple[str]): One block string per stage.
        act (str): Activation type of every conv (``'SiLU'``: swish;
            ``'ReLU6'`` for Lite).
        fix_stem_head (bool): Keep the stem width and the repeats of the
            first and last stage unscaled (official lite ``fix_head_stem``;
            timm ``fix_stem`` + ``fix_first_last``).
    """
    stem_channels: int
    blocks: Tuple[str, ...]
    act: str = 'SiLU'
    fix_stem_head: bool = False


#: Unscaled networks, keyed by :attr:`EfficientNetScale.blocks`. The V2 ones
#: follow Tan & Le 2021 (Table 4 for V2-S; M/L and the B-base from the
#: official ``effnetv2_configs.py``): Fused-MBConv (``fr``) in the early stages,
#: MBConv with squeeze-excitation later; ``fr..e1`` is a single fused conv.
NETWORK_DEFS: Dict[str, NetworkDef] = {
    'v1':
    NetworkDef(EFFICIENTNET_STEM_CHANNELS, EFFICIENTNET_B0_BLOCKS),
    'lite':
    NetworkDef(
        EFFICIENTNET_STEM_CHANNELS, EFFICIENTNET_LITE_BLOCKS, act='ReLU6', fix_stem_head=True),
    'v2_base':
    NetworkDef(32, (
        'fr_r1_k3_s1_e1_c16',
        'fr_r2_k3_s2_e4_c32',
        'fr_r2_k3_s2_e4_c48',
        'ir_r3_k3_s2_e4_c96_se0.25',
        'ir_r5_k3_s1_e6_c112_se0.25',
        'ir_r8_k3_s2_e6_c192_se0.25',
    )),
    'v2_s':
    NetworkDef(24, (
        'fr_r2_k3_s1_e1_c24',
        'fr_r4_k3_s2_e4_c48',
        'fr_r4_k3_s2_e4_c64',
        'ir_r6_k3_s2_e4_c128_se0.25',
        'ir_r9_k3_s1_e6_c160_se0.25',
        'ir_r15_k3_s2_e6_c256_se0.25',
    )),
    'v2_m':
    NetworkDef(24, (
        'fr_r3_k3_s1_e1_c24',
        'fr_r5_k3_s2_e4_c48',
        'fr_r5_k3_s2_e4_c80',
        'ir_r7_k3_s2_e4_c160_se0.25',
        'ir_r14_k3_s1_e6_c176_se0.25',
        'ir_r18_k3_s2_e6_c304_se0.25',
        'ir_r5_k3_s1_e6_c512_se0.25',
    )),
    'v2_l':
    NetworkDef(32, (
        'fr_r4_k3_s1_e1_c32',
        'fr_r7_k3_s2_e4_c64',
        'fr_r7_k3_s2_e4_c96',
        'ir_r10_k3_s2_e4_c192_se0.25',
        'ir_r19_k3_s1_e6_c224_se0.25',
        'ir_r25_k3_s2_e6_c384_se0.25',
        'ir_r7_k3_s1_e6_c640_se0.25',
    )),
}

#: Output feature levels: index ``i`` is the last feature map of stride ``2 ** (i + 1)``.
NUM_FEATURE_LEVELS = 5


class NetworkPlan(NamedTuple):
    """Widths and depths of one scaled EfficientNet, before any module exists.

    Attributes:
        stem_channels (int): Scaled stem width.
        stages (list): ``(block args, out channels, repeats)`` per stage.
        level_to_stage (dict): Feature level ``i`` (stride ``2 ** (i + 1)``)
            -> index of the stage whose output it is (``-1``: the stem).
    """
    stem_channels: int
    stages: List[Tuple[BlockArgs, int, int]]
    level_to_stage: Dict[int, int]

    def feature_channels(self, out_indices: Sequence[int]) -> List[int]:
        """Channels of the feature maps of ``out_indices``."""
        widths = [self.stem_channels] + [c for _, c, _ in self.stages]
        return [widths[self.level_to_stage[i] + 1] for i in out_indices]


def plan_network(arch: Arch,
                 blocks: Optional[Sequence[str]] = None,
                 stem_channels: Optional[int] = None) -> NetworkPlan:
    """Scale an unscaled network (block strings) by ``arch``'s multipliers.

    The one place widths and repeats are computed: the backbone builds its
    modules from it, and configs read feature channels from it
    (:func:`efficientnet_feature_channels`) without building a network.

    Args:
        arch (str | dict): A key of
            :data:`~mmdet_efficientdet.scaling.EFFICIENTNET_SCALES`, or
            multipliers as data (``dict(width=1.1, depth=1.2)``,
            :func:`~mmdet_efficientdet.scaling.efficientnet_scale`).
        blocks (Sequence[str], optional): Block strings; default: the arch's
            entry of :data:`NETWORK_DEFS`.
        stem_channels (int, optional): Unscaled stem width; default: the
            arch's entry of :data:`NETWORK_DEFS`.

    Returns:
        NetworkPlan
    """
    network = network_def(arch)
    scale = efficientnet_scale(arch)
    blocks = network.blocks if blocks is None else blocks
    stem_channels = (network.stem_channels if stem_channels is None else stem_channels)

    def scale_width(channels: int) -> int:
        return round_channels(channels, scale.width, round_limit=scale.round_limit)

    stages = []
    level_to_stage: Dict[int, int] = {0: -1}
    stride = 2
    fixed = {0, len(blocks) - 1} if network.fix_stem_head else set()
    for stage_id, args in enumerate(parse_block_string(s) for s in blocks):
        repeats = args.repeats if stage_id in fixed else round_repeats(args.repeats, scale.depth)
        stages.append((args, scale_width(args.out_channels), repeats))
        stride *= args.stride
        level_to_stage[stride.bit_length() - 2] = stage_id
    if max(level_to_stage) < NUM_FEATURE_LEVELS - 1:
        raise ValueError(f'blocks reach stride {stride}, expected 32')
    stem = stem_channels if network.fix_stem_head else \
        scale_width(stem_channels)
    return NetworkPlan(stem, stages, level_to_stage)


def network_def(arch: Arch) -> NetworkDef:
    """The unscaled network ``arch`` scales (its :data:`NETWORK_DEFS` entry).

    Example:
        >>> network_def('lite2').act
        'ReLU6'
    """
    blocks = efficientnet_scale(arch).blocks
    if blocks not in NETWORK_DEFS:
        raise KeyError(f'arch={arch!r}: blocks={blocks!r} is not one of '
                       f'{sorted(NETWORK_DEFS)}')
    return NETWORK_DEFS[blocks]


def network_widths(plan: NetworkPlan) -> Dict:
    """Every width of a planned network, in the form of the backbone's
    ``channels`` argument.

    Block ``i`` of a stage takes the stage's input width (the previous
    stage's output, or the stem) if ``i == 0``, else the stage's output; its
    expansion width is ``int(in * expand_ratio)`` and its squeeze width
    ``max(1, int(in * se_ratio))`` (TF: from the block's *input*), 0 without
    SE.

    Returns:
        dict: ``stem``, ``stage_out`` (per stage), ``mid`` and ``se`` (per
        stage, per block).
    """
    widths = dict(stem=plan.stem_channels, stage_out=[], mid=[], se=[])
    in_channels = plan.stem_channels
    for args, out_channels, num_blocks in plan.stages:
        ins = [in_channels] + [out_channels] * (num_blocks - 1)
        widths['stage_out'].append(out_channels)
        widths['mid'].append([int(c * args.expand_ratio) for c in ins])
        widths['se'].append(
            [max(1, int(c * args.se_ratio)) if args.se_ratio > 0 else 0 for c in ins])
        in_channels = out_channels
    return widths


def check_widths(channels: Dict, planned: Dict) -> Dict:
    """Validate a backbone ``channels`` dict against the planned network.

    Raises:
        ValueError: a missing/unknown key, a list of the wrong length, a
            width < 1, or SE widths where the network has none (naming the
            key, e.g. ``channels.mid[3][1]``).
    """
    if not isinstance(channels, dict) or set(channels) != set(planned):
        raise ValueError(f'channels must be a dict with keys '
                         f'{sorted(planned)}, got {channels!r:.200}')

    def check(value, want, key):
        if isinstance(want, list):
            if not isinstance(value, (list, tuple)) or len(value) != len(want):
                raise ValueError(f'channels.{key} must have {len(want)} '
                                 f'entries (the network\'s), got {value!r}')
            return [check(v, w, f'{key}[{i}]') for i, (v, w) in enumerate(zip(value, want))]
        if not isinstance(value, int) or value < (1 if want else 0) or \
                (want == 0 and value):
            raise ValueError(f'channels.{key}={value!r}: expected ' +
                             ('0 (no SE in this block)' if want == 0 else 'a positive int'))
        return value

    return {key: check(channels[key], want, key) for key, want in planned.items()}


def efficientnet_feature_channels(arch: Arch, out_indices: Sequence[int] = (2, 3, 4)) -> List[int]:
    """Channels of an EfficientNet's feature maps, without building it.

    Example:
        >>> efficientnet_feature_channels('b3')
        [48, 136, 384]
    """
    return plan_network(arch).feature_channels(out_indices)


@MODELS.register_module()
class EfficientNetBackbone(BaseModule):
    """EfficientNet B0–B7, Lite0–4 and EfficientNetV2 feature extractor for
    detection.

    Differs from mmdet's ``EfficientNet`` (an mmcls port) in what EfficientDet
    needs: TF BatchNorm settings, TF ``'SAME'`` padding for ported weights,
    squeeze-excitation sized from each block's *input* channels, and stages
    written as block strings scaled by :data:`~mmdet_efficientdet.scaling.EFFICIENTNET_SCALES`.

    EfficientNetV2 (``arch='v2_s'``, ``'v2_m'``, ``'v2_l'``, ``'v2_b0'`` …
    ``'v2_b3'``) uses Fused-MBConv blocks (:class:`FusedMBConv`) in its early
    stages; EfficientNet-Lite (``'lite0'`` … ``'lite4'``) has no SE, ReLU6
    and an unscaled stem and first/last stage; see :data:`NETWORK_DEFS`.

    The classification head (1x1 conv to 1280 channels) is not built.

    Args:
        arch (str | dict): A key of :data:`~mmdet_efficientdet.scaling.EFFICIENTNET_SCALES`:
            ``'b0'`` … ``'b7'``, ``'lite0'`` … ``'lite4'``, ``'v2_s'``,
            ``'v2_m'``, ``'v2_l'``, ``'v2_b0'`` … ``'v2_b3'``; or
            multipliers no row holds, as data: ``dict(width=1.1,
            depth=1.3, blocks='v1')`` (a compound-scaling grid candidate).
            Defaults to ``'b0'``.
        out_indices (Sequence[int]): Feature levels to return; level ``i`` has
            stride ``2 ** (i + 1)``, so ``(2, 3, 4)`` gives strides 8/16/32
            (P3–P5). Any subset of ``range(5)``. Defaults to ``(2, 3, 4)``.
        frozen_stages (int): Freeze (eval mode, no grads) the stem and the
            first ``frozen_stages`` block stages; ``-1`` freezes nothing,
            ``0`` only the stem. At most 7. Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training.
            Defaults to False.
        drop_path_rate (float): Stochastic depth rate of the last block; it
            grows linearly from 0 over the blocks. Defaults to 0.2.
        same_padding (bool): TF ``'SAME'`` padding (for TF-ported weights).
            Defaults to False.
        blocks (Sequence[str], optional): Block strings of the unscaled
            network. Defaults to the arch's entry of :data:`NETWORK_DEFS`.
        stem_channels (int, optional): Unscaled stem width. Defaults to the
            arch's entry of :data:`NETWORK_DEFS`.
        norm_cfg (dict): Norm layer config; TF's eps 1e-3 and decay 0.99
            (PyTorch momentum 0.01) by default.
        act_cfg (dict, optional): Activation config. Defaults to the
            network's (:attr:`NetworkDef.act`): SiLU (swish), ReLU6 for Lite.
        with_cp (bool): Gradient checkpointing in blocks. Defaults to False.
        channels (dict, optional): Explicit widths of a channel-pruned
            network (``tools/pruning/prune.py`` writes them; architecture as data):
            ``stem`` (int), ``stage_out`` (one int per stage), ``mid`` and
            ``se`` (per stage, one int per block: expansion and squeeze
            widths; ``se`` entries are 0 for blocks without SE). Defaults to
            None: the widths of :func:`plan_network`.
        activation_masks (dict, optional): Integral Pruning's activation
            side: ``{'s{i}.b{j}': rate}`` (``fnmatch`` patterns allowed, e.g.
            ``'s5.*'``) keeps the ``rate`` largest activations of that MBConv
            block's depthwise output (which feeds the SE and the projection
            conv) per image, zeroing the rest (:class:`WinnerMask`; no
            parameters, checkpoints unchanged). Defaults to None.
        init_cfg (dict | list[dict], optional): Initialization config.
            ``dict(type='ImageNetPretrained', checkpoint=URL_OR_FILE)`` loads
            ImageNet weights (timm's or converted; a URL is downloaded once and
            cached, see :mod:`.imagenet_init`) after the default init.

    Example:
        >>> import torch
        >>> model = EfficientNetBackbone('b0').eval()
        >>> outs = model(torch.rand(1, 3, 256, 256))
        >>> [tuple(o.shape) for o in outs]
        [(1, 40, 32, 32), (1, 112, 16, 16), (1, 320, 8, 8)]
    """

    def __init__(self,
                 arch: Arch = 'b0',
                 out_indices: Sequence[int] = (2, 3, 4),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.2,
                 same_padding: bool = False,
                 blocks: Optional[Sequence[str]] = None,
                 stem_channels: Optional[int] = None,
                 norm_cfg: Dict = TF_BN,
                 act_cfg: Optional[Dict] = None,
                 with_cp: bool = False,
                 channels: Optional[Dict] = None,
                 activation_masks: Optional[Dict[str, float]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        out_indices = tuple(out_indices)
        if not out_indices or any(not 0 <= i < NUM_FEATURE_LEVELS for i in out_indices):
            raise ValueError(f'out_indices={out_indices} must be a non-empty '
                             f'subset of range({NUM_FEATURE_LEVELS}) '
                             f'(level i has stride 2**(i+1))')
        plan = plan_network(arch, blocks, stem_channels)
        if act_cfg is None:
            act_cfg = dict(type=network_def(arch).act)
        widths = network_widths(plan) if channels is None else \
            check_widths(channels, network_widths(plan))
        plan = plan._replace(
            stem_channels=widths['stem'],
            stages=[(args, out, num)
                    for (args, _, num), out in zip(plan.stages, widths['stage_out'])])
        if not -1 <= frozen_stages <= len(plan.stages):
            raise ValueError(f'frozen_stages={frozen_stages} must be in '
                             f'[-1, {len(plan.stages)}]')
        self.arch = arch
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        conv_cfg = same_conv_cfg(same_padding)
        self.stem = ConvModule(
            3,
            plan.stem_channels,
            3,
            stride=2,
            padding=1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        # feature level -> index of the stage whose output it is
        self._level_to_stage = plan.level_to_stage
        self.stages = nn.ModuleList()
        in_channels = plan.stem_channels
        for stage, (args, out_channels, num_blocks) in enumerate(plan.stages):
            self.stages.append(
                nn.Sequential(*[
                    self._make_block(args, in_channels if i == 0 else out_channels, out_channels,
                                     widths['mid'][stage][i], widths['se'][stage][i], args.
                                     stride if i == 0 else 1, conv_cfg, norm_cfg, act_cfg, with_cp)
                    for i in range(num_blocks)
                ]))
            in_channels = out_channels
        self.out_channels: List[int] = plan.feature_channels(out_indices)
        self.set_activation_masks(activation_masks or {})
        # stochastic depth: one rule, set_drop_path_rate
        self.set_drop_path_rate(drop_path_rate)
        self._freeze_stages()

    @staticmethod
    def _make_block(args: BlockArgs, in_channels: int, out_channels: int, mid_channels: int,
                    se_channels: int, stride: int, conv_cfg: Optional[dict], norm_cfg: dict,
                    act_cfg: dict, with_cp: bool) -> nn.Module:
        """Build one MBConv (``ir``; ``ds`` = no expansion) or Fused-MBConv
        (``fr``) block (drop-path off; :meth:`set_drop_path_rate` sets it)."""
        se_cfg = None
        if args.se_ratio > 0:
            # SELayer squeezes to int(channels / ratio): this ratio gives
            # exactly se_channels whatever the float rounding
            se_cfg = dict(
                channels=mid_channels,
                ratio=mid_channels / (se_channels + 0.5),
                act_cfg=(act_cfg, dict(type='Sigmoid')))
        common = dict(
            in_channels=in_channels,
            out_channels=out_channels,
            mid_channels=mid_channels,
            kernel_size=args.kernel_size,
            stride=stride,
            se_cfg=se_cfg,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            drop_path_rate=0.0,
            with_cp=with_cp)
        if args.block_type == 'fr':
            return FusedMBConv(**common)
        return InvertedResidual(with_expand_conv=args.expand_ratio != 1, **common)

    def set_activation_masks(self, rates: Dict[str, float]) -> None:
        """Hook a :class:`WinnerMask` on the depthwise conv of each block
        ``rates`` names (``s{i}.b{j}`` or a pattern)."""
        blocks = {
            f's{i}.b{j}': block
            for i, stage in enumerate(self.stages)
            for j, block in enumerate(stage) if hasattr(block, 'depthwise_conv')
        }
        for pattern, rate in rates.items():
            hits = [n for n in blocks if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                raise ValueError(f'activation_masks: {pattern!r} names no '
                                 f'MBConv block (s<stage>.b<block>, e.g. '
                                 f'{next(iter(blocks))!r})')
            for name in hits:
                block = blocks[name]
                if hasattr(block, 'winner_mask'):
                    block.winner_mask.rate = float(rate)
                    continue
                block.winner_mask = WinnerMask(rate)
                block.depthwise_conv.register_forward_hook(block.winner_mask.hook)

    def init_weights(self) -> None:
        """Default init, then ImageNet weights if ``init_cfg`` asks for them."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'ImageNetPretrained'):
            super().init_weights()
            return
        self.init_cfg = None  # children keep their own init, then we load
        try:
            super().init_weights()
        finally:
            self.init_cfg = cfg
        load_imagenet_weights(self, cfg['checkpoint'], cfg.get('cache_dir'))

    def set_drop_path_rate(self, drop_path_rate: float) -> None:
        """Change the stochastic depth rate during training.

        The rate of block ``i`` of ``n`` becomes ``drop_path_rate * i / n``,
        as when built with it (used by progressive learning).

        Args:
            drop_path_rate (float): Rate of the last block, in ``[0, 1)``.
        """
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f'drop_path_rate={drop_path_rate} must be in [0, 1)')
        blocks = [block for stage in self.stages for block in stage]
        for idx, block in enumerate(blocks):
            rate = drop_path_rate * idx / len(blocks)
            block.drop_path = DropPath(rate) if rate > 0 else nn.Identity()
        self.drop_path_rate = drop_path_rate

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen = [self.stem] + list(self.stages[:self.frozen_stages])
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Extract features.

        Args:
            x (Tensor): Images of shape ``(N, 3, H, W)``.

        Returns:
            tuple[Tensor]: One map per ``out_indices`` entry ``i``, of shape
            ``(N, C_i, H / 2**(i+1), W / 2**(i+1))`` (rounded up).
        """
        x = self.stem(x)
        feats = {-1: x}
        for stage_id, stage in enumerate(self.stages):
            x = stage(x)
            feats[stage_id] = x
        return tuple(feats[self._level_to_stage[i]] for i in self.out_indices)

    def train(self, mode: bool = True) -> 'EfficientNetBackbone':
        """Set train mode, keeping frozen stages and (if norm_eval) BN in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
