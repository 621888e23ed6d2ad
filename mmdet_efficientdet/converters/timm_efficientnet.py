"""timm / TF-ported EfficientNet weights -> :class:`EfficientNetBackbone`."""
from __future__ import annotations
import re
from typing import Dict, Mapping, Optional, Set, Tuple

from torch import Tensor

from .common import ConversionReport, check_against_target

# module renames inside one block, by timm block kind:
#   ds: depthwise-separable (B0 stage 0): conv_dw/bn1 + conv_pw/bn2
#   ir: inverted residual: conv_pw/bn1 (expand) + conv_dw/bn2 + conv_pwl/bn3
#   er: EdgeResidual = Fused-MBConv: conv_exp/bn1 (fused kxk) + conv_pwl/bn2
#   cn: ConvBnAct = Fused-MBConv without expansion: conv/bn1
_BLOCK_TABLES: Dict[str, Dict[str, str]] = {
    'ds': {
        'conv_dw': 'depthwise_conv.conv',
        'bn1': 'depthwise_conv.bn',
        'conv_pw': 'linear_conv.conv',
        'bn2': 'linear_conv.bn'
    },
    'ir': {
        'conv_pw': 'expand_conv.conv',
        'bn1': 'expand_conv.bn',
        'conv_dw': 'depthwise_conv.conv',
        'bn2': 'depthwise_conv.bn',
        'conv_pwl': 'linear_conv.conv',
        'bn3': 'linear_conv.bn'
    },
    'er': {
        'conv_exp': 'fused_conv.conv',
        'bn1': 'fused_conv.bn',
        'conv_pwl': 'linear_conv.conv',
        'bn2': 'linear_conv.bn'
    },
    'cn': {
        'conv': 'fused_conv.conv',
        'bn1': 'fused_conv.bn'
    },
}
BLOCK_KINDS = tuple(_BLOCK_TABLES)
_SE = {'se.conv_reduce': 'se.conv1.conv', 'se.conv_expand': 'se.conv2.conv'}
_STEM = {'conv_stem': 'stem.conv', 'bn1': 'stem.bn'}
# classifier parts of an ImageNet checkpoint that a detection backbone drops
_CLASSIFIER = re.compile(r'^(conv_head|bn2|classifier)\.')
_BLOCK = re.compile(r'^blocks\.(\d+)\.(\d+)\.(.+)$')


def block_kind(module_names: Set[str]) -> str:
    """The timm block kind (a key of ``BLOCK_KINDS``) from its module names.

    Example:
        >>> block_kind({'conv_exp', 'bn1', 'conv_pwl', 'bn2'})
        'er'
    """
    if 'conv_exp' in module_names:
        return 'er'
    if 'conv_dw' in module_names:
        return 'ir' if 'conv_pwl' in module_names else 'ds'
    return 'cn'


def timm_backbone_key(key: str, kind: str) -> Optional[str]:
    """Our backbone key for one timm EfficientNet / EfficientNetV2 key.

    Args:
        key: timm key without prefixes, e.g. ``'blocks.1.0.conv_pwl.weight'``.
        kind: Kind of the key's block (see :func:`block_kind`): ``'ds'``,
            ``'ir'``, ``'er'`` or ``'cn'``; ignored for stem keys.

    Returns:
        str | None: e.g. ``'stages.1.0.linear_conv.conv.weight'``, or None when
        the key has no counterpart (classifier head).

    Example:
        >>> timm_backbone_key('blocks.1.0.conv_pwl.weight', 'ir')
        'stages.1.0.linear_conv.conv.weight'
        >>> timm_backbone_key('blocks.1.0.conv_exp.weight', 'er')
        'stages.1.0.fused_conv.conv.weight'
        >>> timm_backbone_key('bn1.running_var', 'ds')
        'stem.bn.running_var'
    """
    match = _BLOCK.match(key)
    if match is None:
        module, _, leaf = key.partition('.')
        return f'{_STEM[module]}.{leaf}' if module in _STEM else None
    if kind not in _BLOCK_TABLES:
        raise ValueError(f'unknown block kind {kind!r}; expected one of '
                         f'{BLOCK_KINDS}')
    stage, block, rest = match.groups()
    for table in (_SE, _BLOCK_TABLES[kind]):
        for src, dst in table.items():
            if rest.startswith(src + '.'):
                return f'stages.{stage}.{block}.{dst}{rest[len(src):]}'
    return None


def convert_timm_efficientnet(
        source: Mapping[str, Tensor],
        target: Mapping[str, Tensor],
        src_prefix: str = '',
        dst_prefix: str = '',
        what: str = 'EfficientNet checkpoint') -> Tuple[Dict[str, Tensor], ConversionReport]:
    """Convert timm EfficientNet weights (``tf_efficientnet_b*``,
    ``tf_efficientnetv2_*``, ...).

    Args:
        source: Source state dict (may hold other keys, e.g. a detector's).
        target: Our model's state dict, for shapes and completeness.
        src_prefix: Prefix of the backbone keys in ``source`` (e.g.
            ``'backbone.'`` in an effdet checkpoint).
        dst_prefix: Prefix of our backbone keys in ``target``.
        what: Name of the source for error messages.

    Returns:
        tuple[dict, ConversionReport]: The backbone part of the converted
        state dict (keys with ``dst_prefix``) and the report.

    Raises:
        CheckpointMismatchError: Shapes or keys do not fit ``target``.
    """
    report = ConversionReport()
    keys = [k[len(src_prefix):] for k in source if k.startswith(src_prefix)]
    modules: Dict[Tuple[str, str], Set[str]] = {}
    for match in filter(None, map(_BLOCK.match, keys)):
        modules.setdefault(match.group(1, 2), set()).add(match.group(3).partition('.')[0])
    kinds = {block: block_kind(names) for block, names in modules.items()}
    out: Dict[str, Tensor] = {}
    for key in keys:
        match = _BLOCK.match(key)
        dst = timm_backbone_key(key, kinds[match.group(1, 2)] if match else '')
        if dst is None:
            report.unused.append(src_prefix + key)
            continue
        out[dst_prefix + dst] = source[src_prefix + key]
    target_part = {k: v for k, v in target.items() if k.startswith(dst_prefix)}
    check_against_target(out, target_part, what)
    if report.unused and not all(_CLASSIFIER.match(k[len(src_prefix):]) for k in report.unused):
        report.notes.append('keys not used outside the classifier head: ' + ', '.join(
            k for k in report.unused if not _CLASSIFIER.match(k[len(src_prefix):])))
    return out, report
