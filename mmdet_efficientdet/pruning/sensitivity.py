"""Sensitivity of a trained EfficientDet to pruning each channel group.

Integral Pruning (ICLR 2019) sets each layer's threshold from a sensitivity
check of accuracy against the pruning ratio; Scalpel (ISCA 2017) says the
saving must be *measured* on the processor. So every row of the table holds
both: the val mAP (or a proxy on a subset) with one group pruned at one
ratio, and the measured ONNX Runtime latency saved (:mod:`.measure`).
"""
from __future__ import annotations
import copy
from typing import Callable, List, Optional, Sequence

from torch import nn

from ..measure.complexity import count_params, effective_macs, measure_complexity
from ..measure.pruned_variants import OrtLatency
from .channel_groups import PruningError, build_group_graph, expand_groups
from .structured import prune_detector

#: Columns of the sensitivity table, in order.
COLUMNS = ('group', 'kind', 'channels', 'ratio', 'kept', 'mAP', 'mAP_drop', 'latency_ms',
           'latency_saved_ms', 'base_latency_ms', 'gmacs', 'gmacs_saved', 'params')


def unpruned_row(mAP: float, macs: int, params: int, kept: float) -> dict:
    """The first row of a sensitivity table: the unpruned model."""
    return dict(
        group='-',
        kind='-',
        channels=0,
        ratio=0.0,
        kept=kept,
        mAP=mAP,
        mAP_drop=0.0,
        latency_ms=None,
        latency_saved_ms=0.0,
        base_latency_ms=None,
        gmacs=macs / 1e9,
        gmacs_saved=0.0,
        params=params)


def sensitivity_table(detector: nn.Module,
                      evaluate: Callable[[nn.Module], float],
                      latency: Optional[OrtLatency],
                      ratios: Sequence[float],
                      round_to: int,
                      image_size: int,
                      groups: Optional[Sequence[str]] = None,
                      log: Callable[[str], None] = print) -> List[dict]:
    """Prune each group alone at each ratio; measure mAP, latency, MACs.

    Args:
        detector: The trained model (not modified).
        evaluate: model -> mAP (:class:`DetectionEvaluator`).
        latency: :class:`OrtLatency`, or None to skip timing.
        ratios: Pruning ratios in ``(0, 1)``.
        round_to (int): SIMD width the kept widths are rounded to.
        image_size (int): Size of the MAC count (the latency's).
        groups: Group names/patterns (default: all).

    Returns:
        list[dict]: Rows with :data:`COLUMNS`; the first row is the
        unpruned model (group ``'-'``).
    """
    found = build_group_graph(detector)
    names = expand_groups(groups or ['*'], list(found.groups))
    base_map = evaluate(detector)
    base = measure_complexity(detector, image_size, image_size)
    rows = [unpruned_row(base_map, base.flops, base.params, kept=0)]
    if latency is not None:
        rows[0]['latency_ms'], rows[0]['base_latency_ms'] = latency(detector)
    for name in names:
        group = found.groups[name]
        for ratio in ratios:
            variant = copy.deepcopy(detector)
            change = prune_detector(variant, {name: ratio}, round_to)
            kept = change.get(name, (group.channels, group.channels))[1]
            size = measure_complexity(variant, image_size, image_size)
            row = dict(
                group=name,
                kind=group.kind,
                channels=group.channels,
                ratio=ratio,
                kept=kept,
                mAP=evaluate(variant),
                gmacs=size.flops / 1e9,
                params=size.params)
            row['mAP_drop'] = base_map - row['mAP']
            row['gmacs_saved'] = rows[0]['gmacs'] - row['gmacs']
            row['latency_ms'] = row['base_latency_ms'] = None
            row['latency_saved_ms'] = 0.0
            if latency is not None:
                row['latency_ms'], row['base_latency_ms'] = latency(variant)
                row['latency_saved_ms'] = (row['base_latency_ms'] - row['latency_ms'])
            rows.append(row)
            log(f'{name:>10} {ratio:.2f}: {group.channels}->{kept} '
                f'mAP {row["mAP"]:.3f} (drop {row["mAP_drop"]:+.3f}) '
                f'GMACs -{row["gmacs_saved"]:.3f} latency saved '
                f'{row["latency_saved_ms"]:.1f} ms')
    return rows


def activation_sensitivity_table(detector: nn.Module,
                                 evaluate: Callable[[nn.Module], float],
                                 ratios: Sequence[float],
                                 image_size: int,
                                 blocks: Optional[Sequence[str]] = None,
                                 log: Callable[[str], None] = print) -> List[dict]:
    """Integral Pruning's activation side: mask one MBConv block's depthwise
    output alone (:class:`WinnerMask`, winner rate ``1 - ratio``) and measure
    mAP and the effective MACs saved (its projection conv's inputs that are
    zero). Rows as :func:`sensitivity_table` (``kind='activation'``, group
    ``s{i}.b{j}``, ``kept`` = the winner rate); no latency: dense kernels
    do not skip zeros."""
    names = [
        f's{i}.b{j}' for i, stage in enumerate(detector.backbone.stages)
        for j, block in enumerate(stage) if hasattr(block, 'depthwise_conv')
    ]
    names = expand_groups(blocks or ['*'], names)
    base_map = evaluate(detector)
    base_macs = effective_macs(detector, image_size, image_size)
    rows = [unpruned_row(base_map, base_macs, count_params(detector), kept=1.0)]
    for name in names:
        for ratio in ratios:
            variant = copy.deepcopy(detector)
            variant.backbone.set_activation_masks({name: 1 - ratio})
            macs = effective_macs(variant, image_size, image_size)
            row = dict(
                group=name,
                kind='activation',
                channels=0,
                ratio=ratio,
                kept=1 - ratio,
                mAP=evaluate(variant),
                latency_ms=None,
                latency_saved_ms=0.0,
                base_latency_ms=None,
                gmacs=macs / 1e9,
                gmacs_saved=(base_macs - macs) / 1e9,
                params=rows[0]['params'])
            row['mAP_drop'] = base_map - row['mAP']
            rows.append(row)
            log(f'{name:>6} winner rate {1 - ratio:.2f}: mAP {row["mAP"]:.3f} '
                f'(drop {row["mAP_drop"]:+.3f}) effective GMACs '
                f'-{row["gmacs_saved"]:.3f}')
    return rows


def check_table(rows,
                path: str,
                groups: Sequence[str] = (),
                kind: Optional[str] = None) -> List[dict]:
    """Check a sensitivity table read from ``path`` before it is used.

    Args:
        rows: The loaded JSON.
        path: Its file, for the messages.
        groups: The model's group names (checked when given).
        kind: ``'activation'`` for an activation table, ``'channel'`` for a
            channel table, None for either.

    Returns:
        list[dict]: ``rows``.

    Raises:
        PruningError: not a list of rows with :data:`COLUMNS`, no unpruned
            first row, the wrong kind, or groups the model does not have.
    """
    if not isinstance(rows, list) or len(rows) < 2 or not all(isinstance(r, dict) for r in rows):
        raise PruningError(f'{path}: not a sensitivity table (a JSON list of '
                           f'rows written by prune_sensitivity.py)')
    missing = sorted({c for r in rows for c in COLUMNS if c not in r})
    if missing:
        raise PruningError(f'{path}: rows lack {missing} (a table of '
                           f'prune_sensitivity.py has {list(COLUMNS)})')
    if rows[0]['group'] != '-':
        raise PruningError(f'{path}: the first row must be the unpruned '
                           f'model (group "-")')
    kinds = {r['kind'] == 'activation' for r in rows[1:]}
    if kind is not None and kinds != {kind == 'activation'}:
        raise PruningError(f'{path}: not {"an activation" if kind == "activation" else "a channel"}'
                           f' sensitivity table (prune_sensitivity.py '
                           f'{"with" if kind == "activation" else "without"} --activations)')
    unknown = sorted({r['group'] for r in rows[1:]} - set(groups))
    if groups and unknown:
        raise PruningError(f'{path}: groups {unknown} are not in this model '
                           f'(it has {len(groups)} groups, e.g. '
                           f'{", ".join(list(groups)[:4])})')
    return rows
