"""The latency table: per-block costs fitted to sub-networks timed in one run."""
import random

import pytest

from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.models.search_space import SearchSpace
from mmdet_efficientdet.nas import (LatencyTable, block_counts, block_keys, build_latency_table,
                                    fit_subnets, prediction_errors)

SPACE = SearchSpace.from_config(
    dict(
        stages=[
            dict(kernel=[3], expand=[1], depth=[1]),  # no choice: in the base
            dict(kernel=[3, 5], expand=[3, 6], depth=[1, 2]),
            dict(kernel=[3], expand=[4, 6], depth=[2, 3])
        ],
        neck_repeats=[1, 2, 3],
        head_depth=[2, 3],
        image_size=[128, 256]))

#: A hand cost per block (ms) at 128 px; 256 px costs 4 times as much.
HAND = {
    'stage1:k3e3': 1.0,
    'stage1:k3e6': 2.0,
    'stage1:k5e3': 1.5,
    'stage1:k5e6': 3.0,
    'stage2:k3e4': 1.0,
    'stage2:k3e6': 1.5,
    'neck': 1.0,
    'head': 0.75
}
BASE = {128: 0.5, 256: 2.0}  # stem, runtime overhead


def _hand_ms(choice):
    scale = 1 if choice.image_size == 128 else 4
    return BASE[choice.image_size] + scale * sum(HAND[k] * n
                                                 for k, n in block_counts(SPACE, choice).items())


def test_block_keys_and_counts():
    assert block_keys(SPACE) == list(HAND)
    choice = SPACE.largest()
    assert block_counts(SPACE, choice) == {
        'stage1:k3e3': 0,
        'stage1:k3e6': 0,
        'stage1:k5e3': 0,
        'stage1:k5e6': 2,
        'stage2:k3e4': 0,
        'stage2:k3e6': 3,
        'neck': 3,
        'head': 3
    }


def test_fit_subnets_cover_every_block():
    rng = random.Random(0)
    chosen = fit_subnets(SPACE, 256, 3, rng)  # too few to cover by chance
    assert chosen[0] == SPACE.smallest().__class__(((3, 1.0, 1), (3, 3.0, 1), (3, 4.0, 2)), 1, 2,
                                                   256)
    assert chosen[1].stages == SPACE.largest().stages
    assert {c.image_size for c in chosen} == {256}
    for key in block_keys(SPACE):
        assert any(block_counts(SPACE, c)[key] for c in chosen), key
    assert len(set(chosen)) == len(chosen)


def test_table_of_a_per_block_cost_predicts_it_exactly():
    calls = []

    def measure(choices):
        calls.append(len(choices))
        return {name: _hand_ms(choice) for name, choice in choices.items()}

    table = build_latency_table(SPACE, 'hand', measure)
    assert calls == [18, 18]  # one interleaved run per size, twice the 9 unknowns
    # the smallest: stage1 k3e3 d1 (1), stage2 k3e4 d2 (2), neck 1 (1), head 2 (1.5)
    assert table.reference == {128: 0.5 + 5.5, 256: 2.0 + 4 * 5.5}
    assert table.base[128] == pytest.approx(0.5)
    assert table.costs[256]['stage1:k5e6'] == pytest.approx(12.0)
    rng = random.Random(1)
    for _ in range(20):
        choice = SPACE.sample(rng)
        assert table.predict(SPACE, choice) == pytest.approx(_hand_ms(choice))
    assert LatencyTable.from_dict(table.to_dict()) == table
    assert len(table.fitted_on()) == 36


def test_costs_are_least_squares_where_single_changes_mislead():
    """A cost with a floor (small networks all take 10 ms, as on a CPU
    runtime): the fit over sub-networks of every size predicts the large
    ones within 15 % where one-change-from-the-smallest would see no cost."""

    def floor_ms(choice):
        return max(10.0, _hand_ms(choice))

    table = build_latency_table(
        SPACE, 'hand', lambda cs: {
            n: floor_ms(c)
            for n, c in cs.items()
        }, count=40)
    big = SPACE.largest()
    assert table.predict(SPACE, big) == pytest.approx(floor_ms(big), rel=0.15)
    rng = random.Random(2)
    errors = prediction_errors(table, SPACE,
                               {c: floor_ms(c)
                                for c in (SPACE.sample(rng) for _ in range(30))})
    assert errors['median'] < 0.1


def test_an_older_table_is_refused_in_one_line():
    with pytest.raises(UserError, match='an older table: measure it again'):
        LatencyTable.from_dict(dict(path='ov-int8', reference={'320': 1.0}, added={'320': {}}))


def test_prediction_errors():
    table = build_latency_table(SPACE, 'hand', lambda cs: {n: _hand_ms(c) for n, c in cs.items()})
    big, small = SPACE.largest(), SPACE.smallest()
    errors = prediction_errors(table, SPACE, {big: _hand_ms(big) * 1.25, small: _hand_ms(small)})
    assert errors == dict(median=pytest.approx(0.1), max=pytest.approx(0.2), count=2)


def test_prediction_errors_scaled_by_the_runs_drift():
    """A run where the machine is 30 % slower everywhere: the raw error is
    the drift, the same-run error (scaled by the reference timed beside the
    sub-networks) is the table's own, here 0."""
    table = build_latency_table(SPACE, 'hand', lambda cs: {n: _hand_ms(c) for n, c in cs.items()})
    rng = random.Random(1)
    measured = {c: 1.3 * _hand_ms(c) for c in (SPACE.sample(rng) for _ in range(5))}
    references = {size: 1.3 * ms for size, ms in table.reference.items()}
    errors = prediction_errors(table, SPACE, measured, references)
    assert errors['median'] == pytest.approx(0.3 / 1.3)
    assert errors['median_same_run'] == pytest.approx(0) and errors['max_same_run'] < 1e-9
    assert errors['drift'] == {128: pytest.approx(1.3), 256: pytest.approx(1.3)}
