"""timm / TF-ported EfficientNet weights -> :class:`EfficientNetBackbone`."""
from __future__ import annotations

import re
from typing import Dict, Mapping, Optional, Tuple

from torch import Tensor

from .common import ConversionReport, check_against_target

# module renames inside one block; timm's depthwise-separable blocks (stage 0,
# expansion 1) use conv_dw/bn1 + conv_pw/bn2, inverted residuals conv_pw/bn1
# (expand) + conv_dw/bn2 + conv_pwl/bn3 (project)
_DS_BLOCK = {'conv_dw': 'depthwise_conv.conv', 'bn1': 'depthwise_conv.bn',
             'conv_pw': 'linear_conv.conv', 'bn2': 'linear_conv.bn'}
_IR_BLOCK = {'conv_pw': 'expand_conv.conv', 'bn1': 'expand_conv.bn',
             'conv_dw': 'depthwise_conv.conv', 'bn2': 'depthwise_conv.bn',
             'conv_pwl': 'linear_conv.conv', 'bn3': 'linear_conv.bn'}
_SE = {'se.conv_reduce': 'se.conv1.conv', 'se.conv_expand': 'se.conv2.conv'}
_STEM = {'conv_stem': 'stem.conv', 'bn1': 'stem.bn'}
# classifier parts of an ImageNet checkpoint that a detection backbone drops
_CLASSIFIER = re.compile(r'^(conv_head|bn2|classifier)\.')
_BLOCK = re.compile(r'^blocks\.(\d+)\.(\d+)\.(.+)$')


def timm_backbone_key(key: str, inverted_residual: bool) -> Optional[str]:
    """Our backbone key for one timm EfficientNet key (no prefixes).

    Args:
        key: timm key, e.g. ``'blocks.1.0.conv_pwl.weight'``.
        inverted_residual: Whether the key's block has an expansion conv
            (timm ``InvertedResidual``) rather than being depthwise-separable.

    Returns:
        str | None: e.g. ``'stages.1.0.linear_conv.conv.weight'``, or None when
        the key has no counterpart (classifier head).

    Example:
        >>> timm_backbone_key('blocks.1.0.conv_pwl.weight', True)
        'stages.1.0.linear_conv.conv.weight'
        >>> timm_backbone_key('bn1.running_var', False)
        'stem.bn.running_var'
    """
    match = _BLOCK.match(key)
    if match is None:
        module, _, leaf = key.partition('.')
        return f'{_STEM[module]}.{leaf}' if module in _STEM else None
    stage, block, rest = match.groups()
    for table in (_SE, _IR_BLOCK if inverted_residual else _DS_BLOCK):
        for src, dst in table.items():
            if rest.startswith(src + '.'):
                return f'stages.{stage}.{block}.{dst}{rest[len(src):]}'
    return None


def convert_timm_efficientnet(
        source: Mapping[str, Tensor],
        target: Mapping[str, Tensor],
        src_prefix: str = '',
        dst_prefix: str = '',
        what: str = 'EfficientNet checkpoint'
) -> Tuple[Dict[str, Tensor], ConversionReport]:
    """Convert timm EfficientNet weights (``tf_efficientnet_b*``, ...).

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
    ir_blocks = {m.group(1, 2) for m in map(_BLOCK.match, keys)
                 if m and m.group(3).startswith('conv_pwl.')}
    out: Dict[str, Tensor] = {}
    for key in keys:
        match = _BLOCK.match(key)
        inverted = bool(match) and match.group(1, 2) in ir_blocks
        dst = timm_backbone_key(key, inverted)
        if dst is None:
            report.unused.append(src_prefix + key)
            continue
        out[dst_prefix + dst] = source[src_prefix + key]
    target_part = {k: v for k, v in target.items() if k.startswith(dst_prefix)}
    check_against_target(out, target_part, what)
    if report.unused and not all(
            _CLASSIFIER.match(k[len(src_prefix):]) for k in report.unused):
        report.notes.append('keys not used outside the classifier head: ' +
                            ', '.join(k for k in report.unused
                                      if not _CLASSIFIER.match(
                                          k[len(src_prefix):])))
    return out, report
