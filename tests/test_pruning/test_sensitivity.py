"""Choosing per-group ratios from a sensitivity table (hand-built tables)."""
import pytest

from mmdet_efficientdet.pruning import (PruningError, choose_ratios, choose_winner_rates,
                                        greedy_steps, search_budget)


def _row(group, ratio, drop, saved_ms, gmacs_saved=0.0, kind='mid'):
    return dict(
        group=group,
        kind=kind,
        ratio=ratio,
        kept=1 - ratio,
        mAP=0.8 - drop,
        mAP_drop=drop,
        latency_saved_ms=saved_ms,
        gmacs_saved=gmacs_saved)


BASE = dict(
    group='-',
    kind='-',
    ratio=0.0,
    mAP=0.8,
    mAP_drop=0.0,
    latency_ms=100.0,
    base_latency_ms=100.0,
    latency_saved_ms=0.0,
    gmacs=10.0,
    gmacs_saved=0.0)
TABLE = [
    BASE,
    # cheap and useful: first
    _row('a', 0.25, 0.000, 10.0, 1.0),
    _row('a', 0.5, 0.001, 20.0, 2.0),
    # accurate but saves little
    _row('b', 0.25, 0.000, 1.0, 0.5),
    _row('b', 0.5, 0.000, 2.0, 1.0),
    # saves most, costs accuracy
    _row('c', 0.25, 0.050, 30.0, 3.0),
    _row('c', 0.5, 0.200, 40.0, 4.0),
    # noise: a negative saving is never a step
    _row('d', 0.25, 0.000, -3.0, 0.0)
]


def test_greedy_order_is_least_drop_per_saving():
    steps = greedy_steps(TABLE, 'latency')
    # b's steps cost nothing (1e-4 floor per ms) and go before a's second,
    # which costs 0.001 for 10 ms; c's accuracy cost puts it last
    assert steps == [{
        'a': 0.25
    }, {
        'a': 0.25,
        'b': 0.25
    }, {
        'a': 0.25,
        'b': 0.5
    }, {
        'a': 0.5,
        'b': 0.5
    }, {
        'a': 0.5,
        'b': 0.5,
        'c': 0.25
    }, {
        'a': 0.5,
        'b': 0.5,
        'c': 0.5
    }]
    assert greedy_steps(TABLE, 'latency', max_drop=0.01)[-1] == {'a': 0.5, 'b': 0.5}


def test_choose_ratios_from_tabulated_savings():
    assert choose_ratios(TABLE, 0.85, 'latency') == {'a': 0.5, 'b': 0.5}
    assert choose_ratios(TABLE, 0.75, 'latency') == {'a': 0.5, 'b': 0.5, 'c': 0.25}
    assert choose_ratios(TABLE, 0.75, 'flops') == {'a': 0.5, 'b': 0.5}
    with pytest.raises(PruningError, match='cannot reach'):
        choose_ratios(TABLE, 0.2, 'latency')
    with pytest.raises(PruningError, match=r'goal ratio 1.0 must be in'):
        choose_ratios(TABLE, 1.0, 'latency')
    no_latency = [dict(BASE, base_latency_ms=None)] + TABLE[1:]
    with pytest.raises(PruningError, match='no latency'):
        choose_ratios(no_latency, 0.5, 'latency')


def test_search_budget_bisects_on_the_measurement():
    steps = greedy_steps(TABLE, 'latency')
    measured = []

    def measure(ratios):  # a "machine" where only half the saving is real
        measured.append(ratios)
        saved = {'a': {0.25: 10, 0.5: 20}, 'b': {0.25: 1, 0.5: 2}, 'c': {0.25: 30, 0.5: 40}}
        return 1 - 0.5 * sum(saved[g][r] for g, r in ratios.items()) / 100

    ratios, achieved = search_budget(steps, measure, 0.85, log=lambda _: None)
    assert ratios == {'a': 0.5, 'b': 0.5, 'c': 0.25}  # 1 - 0.5 * 0.52
    assert achieved == pytest.approx(0.74)
    assert len(measured) <= 4  # whole sequence + bisection
    with pytest.raises(PruningError, match='above the goal 0.5'):
        search_budget(steps, measure, 0.5, log=lambda _: None)


def test_winner_rates_take_the_lowest_rate_within_the_drop():
    rows = [
        BASE,
        _row('s5.b1', 0.5, 0.001, 0, kind='activation'),
        _row('s5.b1', 0.8, 0.004, 0, kind='activation'),
        _row('s2.b0', 0.5, 0.030, 0, kind='activation')
    ]
    assert choose_winner_rates(rows, 0.005) == {'s5.b1': pytest.approx(0.2)}
    with pytest.raises(PruningError, match='not an activation'):
        choose_winner_rates(TABLE, 0.005)
