"""Choosing what to prune from a sensitivity table: the greedy order of
group steps, the shortest prefix that meets a measured budget, and per-block
winner rates for activation masks."""
from __future__ import annotations
from typing import Callable, Dict, List, Optional, Tuple

from ..utils.boundary_search import bisect_boundary
from .channel_groups import PruningError


def greedy_steps(rows: List[dict],
                 metric: str = 'latency',
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
                               'goal')
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
                    cost = max(drop - value(name, index, 'mAP_drop'), 0.0) + 1e-4
                    if best is None or cost / gain < best[0]:
                        best = (cost / gain, name, nxt)
                    break
        if best is None:
            return sequence
        _, name, nxt = best
        level[name] = nxt
        sequence.append({n: steps[n][i]['ratio'] for n, i in level.items() if i >= 0})


def choose_ratios(rows: List[dict],
                  goal: float,
                  metric: str = 'latency',
                  max_drop: Optional[float] = None) -> Dict[str, float]:
    """Per-group ratios whose *tabulated* savings reach ``goal`` of the
    base (savings assumed additive across groups; :func:`search_budget`
    measures instead).

    Raises:
        PruningError: a goal outside ``(0, 1)``, a table without the
            metric, or one whose savings cannot reach the goal.
    """
    if not 0 < goal < 1:
        raise PruningError(f'goal ratio {goal} must be in (0, 1)')
    key, total = (('latency_saved_ms', rows[0].get('base_latency_ms')) if metric == 'latency' else
                  ('gmacs_saved', rows[0]['gmacs']))
    saved_by = {row['group']: {} for row in rows[1:]}
    for row in rows[1:]:
        saved_by[row['group']][row['ratio']] = row[key]
    for ratios in greedy_steps(rows, metric, max_drop):
        saved = sum(saved_by[g][r] for g, r in ratios.items())
        if saved >= (1 - goal) * total:
            return ratios
    raise PruningError(f'the table\'s savings cannot reach {1 - goal:.2f} of the base '
                       f'{metric}: add larger ratios to the sensitivity run')


def search_budget(sequence: List[Dict[str, float]],
                  measure: Callable[[Dict[str, float]], float],
                  goal: float,
                  log: Callable[[str], None] = print) -> Tuple[Dict[str, float], float]:
    """The shortest prefix of the greedy ``sequence`` whose *measured* ratio
    (``measure(ratios)``: pruned / unpruned latency or MACs) is at most
    ``goal``, by bisection (a handful of measurements).

    Returns:
        tuple: (ratios, measured ratio).

    Raises:
        PruningError: even the whole sequence stays above the goal (the
            measured ratio is given).
    """
    if not 0 < goal < 1:
        raise PruningError(f'goal ratio {goal} must be in (0, 1)')
    if not sequence:
        raise PruningError('the sensitivity table has no step that saves '
                           'anything')
    cache: Dict[int, float] = {}

    def at(n):
        if n not in cache:
            cache[n] = measure(sequence[n - 1])
            log(f'{n}/{len(sequence)} steps: measured ratio {cache[n]:.3f}')
        return cache[n]

    if at(len(sequence)) > goal:
        raise PruningError(f'pruning every tabulated step gives a measured ratio of '
                           f'{cache[len(sequence)]:.3f}, above the goal {goal}: add '
                           f'larger ratios or more groups to the sensitivity run')

    # no step (the unpruned model, ratio 1) is above the goal, all steps within it
    high = bisect_boundary(lambda n: at(n) <= goal, 0, len(sequence))
    return sequence[high - 1], cache[high]


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
