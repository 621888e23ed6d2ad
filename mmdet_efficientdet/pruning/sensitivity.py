"""Sensitivity of a trained EfficientDet to pruning each channel group, and
the choice of per-group ratios that meets a latency or FLOPs budget.

Integral Pruning (ICLR 2019) sets each layer's threshold from a sensitivity
check of accuracy against the pruning ratio; Scalpel (ISCA 2017) says the
saving must be *measured* on the processor. So every row of the table holds
both: the val mAP (or a proxy on a subset) with one group pruned at one
ratio, and the measured ONNX Runtime latency saved on this machine.
"""
from __future__ import annotations

import copy
import csv
import json
import os
import tempfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from .channel_groups import PruningError, build_group_graph, expand_groups
from .structured import prune_detector

#: Columns of the sensitivity table, in order.
COLUMNS = ('group', 'kind', 'channels', 'ratio', 'kept', 'mAP', 'mAP_drop',
           'latency_ms', 'latency_saved_ms', 'base_latency_ms', 'gmacs',
           'gmacs_saved', 'params')


class OrtLatency:
    """Batch-1 ONNX Runtime latency of detectors, measured against a base.

    Args:
        base (nn.Module): The unpruned detector; every measurement times it
            interleaved with the variant, so the saving is a same-run
            difference.
        size (int): Square input size.
        threads (int): ORT intra-op threads (this machine: 2).
        runs (int): Timed calls of each.
    """

    def __init__(self, base: nn.Module, size: int, threads: int = 2,
                 runs: int = 10) -> None:
        self.size, self.threads, self.runs = size, threads, runs
        self.tmp = tempfile.TemporaryDirectory()
        self.base = self.session(base, 'base')
        self.input = torch.randn(1, 3, size, size).numpy()

    def session(self, detector: nn.Module, name: str):
        """Export ``detector`` and open it (:class:`OnnxRuntimeBackend`)."""
        from ..deployment import OnnxRuntimeBackend, export_onnx
        path = os.path.join(self.tmp.name, f'{name}.onnx')
        export_onnx(detector, path, (self.size, self.size))
        return OnnxRuntimeBackend(path, self.threads)

    def __call__(self, detector: nn.Module) -> Tuple[float, float]:
        """``(variant ms, base ms)`` of one interleaved run.

        The base is the variant's median plus the median of the paired
        differences (each base call is timed next to a variant call), which
        cancels load that slows both alike better than two medians."""
        import statistics

        from ..timing import interleaved_times
        variant = self.session(detector, 'variant')
        times = interleaved_times(
            {'base': lambda: self.base.run(self.input),
             'variant': lambda: variant.run(self.input)}, self.runs, 2)
        variant_ms = statistics.median(times['variant']) * 1e3
        saved = statistics.median(
            b - v for b, v in zip(times['base'], times['variant'])) * 1e3
        return variant_ms, variant_ms + saved


def unpruned_row(mAP: float, macs: int, params: int, kept: float) -> dict:
    """The first row of a sensitivity table: the unpruned model."""
    return dict(group='-', kind='-', channels=0, ratio=0.0, kept=kept,
                mAP=mAP, mAP_drop=0.0, latency_ms=None, latency_saved_ms=0.0,
                base_latency_ms=None, gmacs=macs / 1e9, gmacs_saved=0.0,
                params=params)


def sensitivity_table(detector: nn.Module, evaluate: Callable[[nn.Module], float],
                      latency: Optional[OrtLatency], ratios: Sequence[float],
                      round_to: int, image_size: int,
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
    from ..analysis import measure_complexity
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
            row = dict(group=name, kind=group.kind, channels=group.channels,
                       ratio=ratio, kept=kept, mAP=evaluate(variant),
                       gmacs=size.flops / 1e9, params=size.params)
            row['mAP_drop'] = base_map - row['mAP']
            row['gmacs_saved'] = rows[0]['gmacs'] - row['gmacs']
            row['latency_ms'] = row['base_latency_ms'] = None
            row['latency_saved_ms'] = 0.0
            if latency is not None:
                row['latency_ms'], row['base_latency_ms'] = latency(variant)
                row['latency_saved_ms'] = (row['base_latency_ms'] -
                                           row['latency_ms'])
            rows.append(row)
            log(f'{name:>10} {ratio:.2f}: {group.channels}->{kept} '
                f'mAP {row["mAP"]:.3f} (drop {row["mAP_drop"]:+.3f}) '
                f'GMACs -{row["gmacs_saved"]:.3f} latency saved '
                f'{row["latency_saved_ms"]:.1f} ms')
    return rows


def activation_sensitivity_table(
        detector: nn.Module, evaluate: Callable[[nn.Module], float],
        ratios: Sequence[float], image_size: int,
        blocks: Optional[Sequence[str]] = None,
        log: Callable[[str], None] = print) -> List[dict]:
    """Integral Pruning's activation side: mask one MBConv block's depthwise
    output alone (:class:`WinnerMask`, winner rate ``1 - ratio``) and measure
    mAP and the effective MACs saved (its projection conv's inputs that are
    zero). Rows as :func:`sensitivity_table` (``kind='activation'``, group
    ``s{i}.b{j}``, ``kept`` = the winner rate); no latency: dense kernels
    do not skip zeros."""
    from .unstructured import effective_macs
    names = [f's{i}.b{j}' for i, stage in enumerate(detector.backbone.stages)
             for j, block in enumerate(stage)
             if hasattr(block, 'depthwise_conv')]
    names = expand_groups(blocks or ['*'], names)
    base_map = evaluate(detector)
    base_macs = effective_macs(detector, image_size, image_size)
    rows = [unpruned_row(base_map, base_macs,
                         sum(p.numel() for p in detector.parameters()),
                         kept=1.0)]
    for name in names:
        for ratio in ratios:
            variant = copy.deepcopy(detector)
            variant.backbone.set_activation_masks({name: 1 - ratio})
            macs = effective_macs(variant, image_size, image_size)
            row = dict(group=name, kind='activation', channels=0, ratio=ratio,
                       kept=1 - ratio, mAP=evaluate(variant),
                       latency_ms=None, latency_saved_ms=0.0,
                       base_latency_ms=None, gmacs=macs / 1e9,
                       gmacs_saved=(base_macs - macs) / 1e9,
                       params=rows[0]['params'])
            row['mAP_drop'] = base_map - row['mAP']
            rows.append(row)
            log(f'{name:>6} winner rate {1 - ratio:.2f}: mAP {row["mAP"]:.3f} '
                f'(drop {row["mAP_drop"]:+.3f}) effective GMACs '
                f'-{row["gmacs_saved"]:.3f}')
    return rows


def choose_winner_rates(rows: List[dict], max_drop: float) -> Dict[str, float]:
    """Per block, the lowest winner rate whose tabulated mAP drop is at most
    ``max_drop`` (Integral Pruning: each layer's threshold from its own
    sensitivity check); blocks where none qualifies get no mask."""
    rates: Dict[str, float] = {}
    for row in rows[1:]:
        if row['kind'] != 'activation':
            raise PruningError('not an activation sensitivity table (run '
                               'prune_sensitivity.py --activations)')
        if row['mAP_drop'] <= max_drop:
            rates[row['group']] = min(rates.get(row['group'], 1.0), row['kept'])
    return rates


def write_table(rows: List[dict], prefix: str) -> List[str]:
    """``prefix.json``, ``prefix.csv`` and ``prefix.png`` (mAP drop and
    latency saved against the ratio, one line per group)."""
    with open(prefix + '.json', 'w') as f:
        json.dump(rows, f, indent=1)
    with open(prefix + '.csv', 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(14, 6))
    by_group: Dict[str, List[dict]] = {}
    for row in rows[1:]:
        by_group.setdefault(row['group'], []).append(row)
    for name, group_rows in by_group.items():
        ratios = [0.0] + [r['ratio'] for r in group_rows]
        axes[0].plot(ratios, [0.0] + [100 * r['mAP_drop'] for r in group_rows],
                     marker='o', label=name)
        key = 'latency_saved_ms' if rows[0]['latency_ms'] else 'gmacs_saved'
        axes[1].plot(ratios, [0.0] + [r[key] for r in group_rows],
                     marker='o', label=name)
    axes[0].set(xlabel='pruning ratio', ylabel='mAP drop (points)',
                title='accuracy sensitivity')
    axes[1].set(xlabel='pruning ratio',
                ylabel='ONNX Runtime latency saved (ms)' if rows[0]['latency_ms']
                else 'GMACs saved', title='measured saving')
    axes[1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(prefix + '.png', dpi=100)
    plt.close(fig)
    return [prefix + ext for ext in ('.json', '.csv', '.png')]


def greedy_steps(rows: List[dict], metric: str = 'latency',
                 max_drop: Optional[float] = None) -> List[Dict[str, float]]:
    """The order in which to prune, from the sensitivity table.

    Greedy: repeatedly take the group step (to its next tabulated ratio)
    with the least extra mAP drop per unit of extra saving (tabulated
    latency, or MACs with ``metric='flops'``); steps that save nothing are
    skipped, and with ``max_drop`` steps whose tabulated drop exceeds it.

    Returns:
        list[dict]: The group ratios after each step (cumulative).
    """
    if metric == 'latency':
        key = 'latency_saved_ms'
        if not rows[0].get('base_latency_ms'):
            raise PruningError('the sensitivity table has no latency: run it '
                               'with latency measurement, or use a FLOPs '
                               'target')
    elif metric == 'flops':
        key = 'gmacs_saved'
    else:
        raise PruningError(f'metric {metric!r} must be latency or flops')
    steps: Dict[str, List[dict]] = {}
    for row in rows[1:]:
        steps.setdefault(row['group'], []).append(row)
    for group_rows in steps.values():
        group_rows.sort(key=lambda r: r['ratio'])
    level = {name: -1 for name in steps}

    def value(name, index, field):
        return steps[name][index][field] if index >= 0 else 0.0

    sequence: List[Dict[str, float]] = []
    while True:
        best = None
        for name, index in level.items():
            # the next step of this group that saves something
            for nxt in range(index + 1, len(steps[name])):
                gain = value(name, nxt, key) - value(name, index, key)
                drop = value(name, nxt, 'mAP_drop')
                if gain > 0 and (max_drop is None or drop <= max_drop):
                    cost = max(drop - value(name, index, 'mAP_drop'),
                               0.0) + 1e-4
                    if best is None or cost / gain < best[0]:
                        best = (cost / gain, name, nxt)
                    break
        if best is None:
            return sequence
        _, name, nxt = best
        level[name] = nxt
        sequence.append({n: steps[n][i]['ratio']
                         for n, i in level.items() if i >= 0})


def choose_ratios(rows: List[dict], target: float, metric: str = 'latency',
                  max_drop: Optional[float] = None) -> Dict[str, float]:
    """Per-group ratios whose *tabulated* savings reach ``target`` of the
    base (savings assumed additive across groups; :func:`search_budget`
    measures instead).

    Raises:
        PruningError: a target outside ``(0, 1)``, a table without the
            metric, or one whose savings cannot reach the target.
    """
    if not 0 < target < 1:
        raise PruningError(f'target ratio {target} must be in (0, 1)')
    key, total = (('latency_saved_ms', rows[0].get('base_latency_ms'))
                  if metric == 'latency' else ('gmacs_saved', rows[0]['gmacs']))
    saved_by = {row['group']: {} for row in rows[1:]}
    for row in rows[1:]:
        saved_by[row['group']][row['ratio']] = row[key]
    for ratios in greedy_steps(rows, metric, max_drop):
        saved = sum(saved_by[g][r] for g, r in ratios.items())
        if saved >= (1 - target) * total:
            return ratios
    raise PruningError(
        f'the table\'s savings cannot reach {1 - target:.2f} of the base '
        f'{metric}: add larger ratios to the sensitivity run')


def search_budget(sequence: List[Dict[str, float]],
                  measure: Callable[[Dict[str, float]], float],
                  target: float, log: Callable[[str], None] = print
                  ) -> Tuple[Dict[str, float], float]:
    """The shortest prefix of the greedy ``sequence`` whose *measured* ratio
    (``measure(ratios)``: pruned / unpruned latency or MACs) is at most
    ``target``, by bisection (a handful of measurements).

    Returns:
        tuple: (ratios, measured ratio).

    Raises:
        PruningError: even the whole sequence stays above the target (the
            measured ratio is given).
    """
    if not 0 < target < 1:
        raise PruningError(f'target ratio {target} must be in (0, 1)')
    if not sequence:
        raise PruningError('the sensitivity table has no step that saves '
                           'anything')
    cache: Dict[int, float] = {}

    def at(n):
        if n not in cache:
            cache[n] = measure(sequence[n - 1])
            log(f'{n}/{len(sequence)} steps: measured ratio {cache[n]:.3f}')
        return cache[n]

    if at(len(sequence)) > target:
        raise PruningError(
            f'pruning every tabulated step gives a measured ratio of '
            f'{cache[len(sequence)]:.3f}, above the target {target}: add '
            f'larger ratios or more groups to the sensitivity run')
    low, high = 0, len(sequence)  # at(high) <= target; at(low) > target
    while high - low > 1:
        mid = (low + high) // 2
        if at(mid) <= target:
            high = mid
        else:
            low = mid
    return sequence[high - 1], cache[high]
