"""Helpers used inside config files: every D-level number comes from scaling.py.

A D-level config names its row of the scaling table (``level = 'd3'``) and
takes its input size and its model numbers from it (:func:`level_image_size`,
:func:`level_model`); no config types a table number.
"""
from __future__ import annotations
import copy
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .models.backbones.efficientnet import efficientnet_feature_channels
from .models.backbones.imagenet_init import imagenet_checkpoint
from .models.task_modules.tf_anchor_generator import TF_ASPECT_RATIOS
from .scaling import (IMAGENET_MEAN, backbone_data, efficientdet_drop_path_rate, efficientnet_scale,
                      get_efficientdet_scale)


def backbone_out_indices(min_level: int = 3) -> Tuple[int, ...]:
    """Backbone stages feeding the BiFPN: P_min..P5 (stage ``i`` has stride
    ``2 ** (i + 1)``; P3-P5 are stages 2-4, a P2 level adds stage 1).

    Example:
        >>> backbone_out_indices(3), backbone_out_indices(2)
        ((2, 3, 4), (1, 2, 3, 4))
    """
    if not 2 <= min_level <= 5:
        raise ValueError(f'min_level={min_level}: the BiFPN takes P2 to P5 from the backbone')
    return tuple(range(min_level - 1, 5))


def level_image_size(level: Union[str, Mapping]) -> int:
    """Square input size of ``level`` (``'d0'`` … ``'d7x'``, ``'v2-s'`` …,
    ``'lite0'`` … ``'lite4'``).

    Example:
        >>> level_image_size('d7')
        1536
    """
    return get_efficientdet_scale(level).image_size


def level_size_divisor(level: Union[str, Mapping]) -> int:
    """Input sides of ``level`` are multiples of this: the coarsest stride
    (128; 256 with P8) where the level's input size is a multiple of it, else
    the largest power of two dividing both (64 for Lite0's 320 and Lite2's
    448: P7 then has ``ceil`` size and automl's fractional anchor stride).

    Example:
        >>> level_size_divisor('d0'), level_size_divisor('lite0')
        (128, 64)
    """
    s = get_efficientdet_scale(level)
    return math.gcd(s.image_size, s.strides[-1])


def scaled_model(level: Union[str, Mapping]) -> Dict[str, Any]:
    """The ``model`` entries compound scaling changes, and nothing else.

    Backbone multipliers (``arch``: the row name, or the multipliers as data
    for a custom level), its P3-P5 widths into the BiFPN, BiFPN width and
    depth, head width and depth, and the padding divisor of the input size.
    The compound-scaling grid search merges these into a user's own model
    (keeping its activation, fusion, anchors, normalisation and init);
    :func:`level_model` adds the rest of a level's row.

    Example:
        >>> m = scaled_model(dict(backbone=dict(width=1.1, depth=1.2),
        ...                       bifpn_channels=88, bifpn_repeats=4,
        ...                       head_repeats=3, image_size=640))
        >>> m['neck']['in_channels'], m['data_preprocessor']
        ([48, 120, 352], {'pad_size_divisor': 128})
    """
    s = get_efficientdet_scale(level)
    return dict(
        data_preprocessor=dict(pad_size_divisor=level_size_divisor(level)),
        backbone=dict(arch=backbone_data(s.backbone)),
        neck=dict(
            in_channels=efficientnet_feature_channels(s.backbone,
                                                      backbone_out_indices(s.min_level)),
            out_channels=s.bifpn_channels,
            num_stages=s.bifpn_repeats),
        bbox_head=dict(in_channels=s.bifpn_channels, stacked_convs=s.head_repeats))


def level_model(level: Union[str, Mapping]) -> Dict[str, Any]:
    """The ``model`` entries that differ between EfficientDet levels.

    Read from the level's row of :mod:`mmdet_efficientdet.scaling`: what
    compound scaling changes (:func:`scaled_model`), plus BiFPN fusion and
    levels, the head's levels, BiFPN and head activation, anchor scale and
    strides, the input normalisation, the backbone's drop-path rate
    (:func:`efficientdet_drop_path_rate`) and its ImageNet initialisation
    (``init_cfg``: the checkpoint of the backbone row's ``imagenet``; None
    for multipliers no row holds). A child config passes it as its
    ``model``; the complete D0 config merges it into its model with
    :func:`with_level_model`.

    Example:
        >>> m = level_model('d7x')
        >>> m['neck']['num_outs'], m['data_preprocessor']['pad_size_divisor']
        (6, 256)
    """
    s = get_efficientdet_scale(level)
    imagenet = efficientnet_scale(s.backbone).imagenet
    return _merge(
        scaled_model(level),
        dict(
            data_preprocessor=dict(mean=list(s.pixel_mean), std=list(s.pixel_std)),
            backbone=dict(
                out_indices=backbone_out_indices(s.min_level),
                drop_path_rate=efficientdet_drop_path_rate(s.backbone),
                init_cfg=dict(type='ImageNetPretrained', checkpoint=imagenet_checkpoint(imagenet))
                if imagenet else None),
            neck=dict(
                fusion=s.fusion,
                min_level=s.min_level,
                num_outs=s.num_levels,
                act_cfg=dict(type=s.act)),
            bbox_head=dict(
                num_levels=s.num_levels,
                act_cfg=dict(type=s.act),
                anchor_generator=dict(octave_base_scale=s.anchor_scale, strides=s.strides))))


def _merge(base: Dict[str, Any], update: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def with_level_model(model: Dict[str, Any], level: str) -> Dict[str, Any]:
    """``model`` with the entries of :func:`level_model` merged in."""
    return _merge(model, level_model(level))


def with_scaled_model(model: Dict[str, Any], level: Union[str, dict]) -> Dict[str, Any]:
    """``model`` with only what compound scaling changes for ``level``
    (:func:`scaled_model`) merged in; everything else of ``model`` kept."""
    return _merge(model, scaled_model(level))


#: Transform arguments that hold the (square) network input size.
SIZE_KEYS = ('scale', 'crop_size', 'size')


def sliced_test_pipeline(pipeline: Sequence[dict], scale_factor: float = 1.0) -> List[dict]:
    """Copy of a test ``pipeline`` for sliced inference
    (``model.test_cfg.slice``): the image keeps its resolution (``Resize``
    by ``scale_factor``, 1.0: unchanged) and is not padded to a fixed size
    (the data preprocessor pads to its divisor; the detector cuts tiles).

    Example:
        >>> sliced_test_pipeline([dict(type='Resize', scale=(512, 512), keep_ratio=True),
        ...                       dict(type='Pad', size=(512, 512))])
        [{'type': 'Resize', 'scale_factor': 1.0, 'keep_ratio': True}]
    """
    result = []
    for transform in pipeline:
        transform = copy.deepcopy(dict(transform))
        if transform['type'] == 'Pad' and 'size' in transform:
            continue
        if transform['type'] == 'Resize':
            transform = dict(type='Resize', scale_factor=float(scale_factor), keep_ratio=True)
        result.append(transform)
    return result


def with_image_size(pipeline: Sequence[dict], image_size: int) -> List[dict]:
    """Copy of ``pipeline`` with every input-size argument set to ``image_size``.

    mmengine does not re-evaluate a parent config's variables in a child, so a
    child that changes ``image_size`` passes it back into the pipelines with
    this: ``scale`` (``Resize``/``RandomResize``), ``crop_size``
    (``RandomCrop``) and ``size`` (``Pad``) become ``(image_size, image_size)``.

    Args:
        pipeline (Sequence[dict]): Transform configs of the parent.
        image_size (int): Square input size.

    Returns:
        list[dict]: The new pipeline; the input is not modified.

    Example:
        >>> with_image_size([dict(type='Pad', size=(512, 512))], 640)
        [{'type': 'Pad', 'size': (640, 640)}]
    """
    if int(image_size) != image_size or image_size <= 0:
        raise ValueError(f'image_size={image_size!r} must be a positive int')
    result = []
    for transform in pipeline:
        transform = copy.deepcopy(transform)
        for key in SIZE_KEYS:
            if key in transform:
                transform[key] = (int(image_size), int(image_size))
        result.append(transform)
    return result


def set_config_image_size(cfg, image_size: int) -> None:
    """Set every input-size argument of every pipeline of a loaded config
    (top-level ``*pipeline`` lists and those inside ``*dataloader``
    entries, however deeply wrapped), in place."""

    def visit(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith('pipeline') and isinstance(value, list):
                    node[key] = with_image_size(value, image_size)
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for key in list(cfg.keys()):
        if key.endswith('pipeline') or key.endswith('dataloader'):
            holder = {key: cfg[key]}
            visit(holder)
            cfg[key] = holder[key]


def set_config_epochs(cfg, epochs: int) -> None:
    """Make a loaded epoch-based config train ``epochs`` epochs with its own
    schedule's shape, in place: ``train_cfg.max_epochs`` (and a top-level
    ``max_epochs``); every epoch-based ``param_scheduler`` entry whose
    ``end`` / ``T_max`` was the old last epoch now has ``epochs``, any other
    past ``epochs`` is cut there (iteration-based ones, e.g. a warm-up of N
    iterations, are kept); ``val_interval`` at most ``epochs``.

    Example:
        >>> from mmengine.config import Config
        >>> cfg = Config(dict(train_cfg=dict(max_epochs=20, val_interval=2),
        ...     param_scheduler=[dict(type='CosineAnnealingLR', end=20, T_max=20)]))
        >>> set_config_epochs(cfg, 80)
        >>> cfg.train_cfg.max_epochs, cfg.param_scheduler[0]['end']
        (80, 80)
    """
    if not cfg.get('train_cfg'):
        cfg.train_cfg = dict()
    old = cfg.train_cfg.get('max_epochs')
    cfg.max_epochs = cfg.train_cfg.max_epochs = epochs
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, Mapping):
        schedulers = [schedulers]
    for scheduler in schedulers:
        if scheduler.get('by_epoch', True):
            for key in ('end', 'T_max'):
                if key in scheduler and (scheduler[key] == old or scheduler[key] > epochs):
                    scheduler[key] = epochs
    cfg.param_scheduler = schedulers
    cfg.train_cfg.val_interval = min(cfg.train_cfg.get('val_interval', 1), epochs)


def _bgr_pad_value(rgb_mean) -> tuple:
    """A normalisation mean (RGB, 0-255) as a BGR pixel (the order images
    are loaded in): padding with it is 0 after normalisation."""
    return tuple(int(round(c)) for c in reversed(rgb_mean))


#: ImageNet mean in 0-255, BGR: the pad colour of automl/effdet evaluation,
#: ``(104, 116, 124)``.
MEAN_PAD_VALUE = _bgr_pad_value(IMAGENET_MEAN)


def tf_anchor_generator(anchor_generator: dict) -> dict:
    """Replace a parent's ``AnchorGenerator`` by :class:`TFAnchorGenerator`.

    Keeps the parent's strides, ``octave_base_scale``, ``scales_per_octave``
    and ``center_offset``; uses automl's aspect pairs and anchor order, as the
    ported checkpoints need.

    Args:
        anchor_generator (dict): The parent's ``anchor_generator`` config.

    Returns:
        dict: A config that replaces it (``_delete_=True``).

    Example:
        >>> gen = tf_anchor_generator(dict(type='AnchorGenerator', strides=[8],
        ...     ratios=[0.5, 1.0, 2.0], octave_base_scale=4,
        ...     scales_per_octave=3, center_offset=0.5))
        >>> gen['type'], gen['aspect_ratios'][1]
        ('TFAnchorGenerator', (1.4, 0.7))
    """
    keep = ('strides', 'octave_base_scale', 'scales_per_octave', 'center_offset')
    return dict(
        _delete_=True,
        type='TFAnchorGenerator',
        aspect_ratios=TF_ASPECT_RATIOS,
        **{k: copy.deepcopy(anchor_generator[k])
           for k in keep if k in anchor_generator})


def level_pad_value(level: str) -> tuple:
    """The mean colour of ``level``'s input normalisation, BGR 0-255 (the
    order images are loaded in): what :func:`with_pad_value` pads with so
    padding is 0 after normalisation.

    Example:
        >>> level_pad_value('d0'), level_pad_value('lite0')
        ((104, 116, 124), (127, 127, 127))
    """
    return _bgr_pad_value(get_efficientdet_scale(level).pixel_mean)


#: Input normalisation of effdet's published Lite weights, ``(x - 127.5) /
#: 127.5`` (our Lite configs use automl's ``(x - 127) / 128``).
_EFFDET_LITE_NORM = (127.5, 127.5)


def effdet_input_norm(level: str) -> Dict[str, List[float]]:
    """The ``data_preprocessor`` mean/std effdet's published COCO weights of
    ``level`` expect: ``127.5`` for Lite, the level's own (ImageNet) for D.

    Example:
        >>> effdet_input_norm('lite0')
        {'mean': [127.5, 127.5, 127.5], 'std': [127.5, 127.5, 127.5]}
    """
    if level.startswith('lite'):
        mean, std = _EFFDET_LITE_NORM
        return dict(mean=[mean] * 3, std=[std] * 3)
    scale = get_efficientdet_scale(level)
    return dict(mean=list(scale.pixel_mean), std=list(scale.pixel_std))


def mean_pad_val() -> Dict[str, Any]:
    """``Pad``'s ``pad_val`` filling images with the mean colour (automl).

    Example:
        >>> mean_pad_val()
        {'img': (104, 116, 124), 'seg': 255}
    """
    return dict(img=tuple(MEAN_PAD_VALUE), seg=255)


def with_pad_value(pipeline: Sequence[dict], value: Sequence[int] = MEAN_PAD_VALUE) -> List[dict]:
    """Copy of ``pipeline`` whose ``Pad`` fills images with ``value``.

    Args:
        pipeline (Sequence[dict]): Transform configs.
        value (Sequence[int]): Pixel value (in the loaded image's channel
            order) for the padded area.

    Returns:
        list[dict]: The new pipeline; the input is not modified.
    """
    result = [copy.deepcopy(t) for t in pipeline]
    for transform in result:
        if transform.get('type') == 'Pad':
            transform['pad_val'] = dict(mean_pad_val(), img=tuple(value))
    return result


def ported_model(base_model: dict,
                 same_padding: bool = True,
                 backbone_norm_cfg: Optional[dict] = None) -> dict:
    """Model overrides that make a D-config fit effdet's public weights.

    The D-configs already train like automl (TF ``'SAME'`` padding, automl's
    anchors, decoding without mmdet's 62.5x size-ratio clamp); this makes
    those explicit for the public weights, sets symmetric padding and a
    PyTorch-style backbone BN for effdet's own ``efficientdet_*`` weights, and
    drops the ImageNet backbone init (the converted checkpoint replaces every
    weight). Conv biases before BN are folded into BN by the converter, so
    the layers themselves do not change.

    Args:
        base_model (dict): The parent's ``model`` config (``_base_.model``).
        same_padding (bool): TF ``'SAME'`` padding in the backbone and the
            BiFPN max-pools (``tf_efficientdet_*``); False (symmetric) for
            effdet's PyTorch-trained ``efficientdet_*``.
        backbone_norm_cfg (dict, optional): Backbone norm config if it differs
            from the parent's (PyTorch-style backbones: BN eps 1e-5).

    Returns:
        dict: The ``model`` config of the child.
    """
    # the converted detector checkpoint replaces every weight: no ImageNet init
    backbone = dict(same_padding=same_padding, init_cfg=None)
    if backbone_norm_cfg:
        backbone['norm_cfg'] = backbone_norm_cfg
    neck = dict(same_padding=same_padding)
    return dict(
        backbone=backbone,
        neck=neck,
        bbox_head=dict(
            anchor_generator=tf_anchor_generator(base_model['bbox_head']['anchor_generator']),
            bbox_coder=dict(type='ConfigurableDeltaXYWHBBoxCoder', wh_ratio_clip=None)))


def automl_schedule(max_epochs: int) -> List[Dict[str, Any]]:
    """automl's learning-rate schedule as mmengine ``param_scheduler``.

    One epoch of linear warm-up from ``lr / 10`` (``lr_warmup_init``), then
    cosine decay to 0 at ``max_epochs`` (``lr_decay_method='cosine'``),
    stepped every iteration.

    Example:
        >>> [s['type'] for s in automl_schedule(300)], automl_schedule(600)[1]['end']
        (['LinearLR', 'CosineAnnealingLR'], 600)
    """
    return [
        dict(
            type='LinearLR',
            start_factor=0.1,
            by_epoch=True,
            begin=0,
            end=1,
            convert_to_iter_based=True),
        dict(
            type='CosineAnnealingLR',
            eta_min=0.0,
            by_epoch=True,
            begin=1,
            end=max_epochs,
            T_max=max_epochs - 1,
            convert_to_iter_based=True),
    ]
