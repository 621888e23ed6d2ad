"""Readable block strings for EfficientNet stages (timm / official style).

A stage is written as one string, e.g. ``'ir_r2_k3_s2_e6_c24_se0.25'``:

===========  ===============================================================
token        meaning
===========  ===============================================================
``ds``       depthwise-separable block (MBConv with expansion 1)
``ir``       inverted residual block (MBConv)
``fr``       fused inverted residual block (Fused-MBConv, EfficientNetV2)
``r<int>``   repeats of the block in the stage (before depth scaling)
``k<int>``   kernel size of the spatial conv
``s<int>``   stride of the first block of the stage
``e<num>``   expansion ratio
``c<int>``   output channels (before width scaling)
``se<num>``  squeeze-excitation ratio, relative to the block's input channels
===========  ===============================================================
"""
from __future__ import annotations
import re
from dataclasses import dataclass

BLOCK_TYPES = ('ds', 'ir', 'fr')
_TOKEN = re.compile(r'^(r|k|s|e|c|se)(\d+(?:\.\d+)?)$')


@dataclass(frozen=True)
class BlockArgs:
    """One stage of an EfficientNet, as parsed from a block string."""
    block_type: str
    repeats: int
    kernel_size: int
    stride: int
    expand_ratio: float
    out_channels: int
    se_ratio: float = 0.0


def parse_block_string(block_string: str) -> BlockArgs:
    """Parse one stage's block string.

    Args:
        block_string (str): e.g. ``'ir_r2_k3_s2_e6_c24_se0.25'``.

    Returns:
        BlockArgs: The parsed stage.

    Raises:
        ValueError: On an unknown block type, an unknown or repeated token,
            or a missing required token (``r``, ``k``, ``s``, ``e``, ``c``).

    Example:
        >>> parse_block_string('ir_r2_k3_s2_e6_c24_se0.25').out_channels
        24
    """
    block_type, *tokens = block_string.split('_')
    if block_type not in BLOCK_TYPES:
        raise ValueError(f'block string {block_string!r}: unknown block type '
                         f'{block_type!r}, expected one of {BLOCK_TYPES}')
    values = {}
    for token in tokens:
        match = _TOKEN.match(token)
        if match is None or match.group(1) in values:
            raise ValueError(f'block string {block_string!r}: bad or repeated '
                             f'token {token!r}')
        values[match.group(1)] = float(match.group(2))
    missing = [key for key in 'rksec' if key not in values]
    if missing:
        raise ValueError(f'block string {block_string!r}: missing tokens '
                         f'{missing}')
    return BlockArgs(
        block_type=block_type,
        repeats=int(values['r']),
        kernel_size=int(values['k']),
        stride=int(values['s']),
        expand_ratio=values['e'],
        out_channels=int(values['c']),
        se_ratio=values.get('se', 0.0))


def format_block_string(args: BlockArgs) -> str:
    """The block string of ``args`` (the inverse of :func:`parse_block_string`).

    Example:
        >>> format_block_string(parse_block_string('ir_r2_k3_s2_e6_c24_se0.25'))
        'ir_r2_k3_s2_e6_c24_se0.25'
    """
    expand = f'{args.expand_ratio:g}'
    text = (f'{args.block_type}_r{args.repeats}_k{args.kernel_size}_s{args.stride}'
            f'_e{expand}_c{args.out_channels}')
    return text + (f'_se{args.se_ratio:g}' if args.se_ratio > 0 else '')
