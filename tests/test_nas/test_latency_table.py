"""The latency table: measured once per size, predicts by adding entries."""
import random

import pytest

from mmdet_efficientdet.nas import (LatencyTable, build_latency_table, choice_keys,
                                    prediction_errors, single_changes)
from mmdet_efficientdet.search_space import SearchSpace

SPACE = SearchSpace.from_config(
    dict(
        stages=[
            dict(kernel=[3, 5], expand=[3, 6], depth=[1, 2]),
            dict(kernel=[3], expand=[4, 6], depth=[2, 3])
        ],
        neck_repeats=[1, 2, 3],
        head_depth=[2, 3],
        image_size=[128, 256]))

#: A hand table: ms of every stage option, neck and head value, per size.
HAND = {
    128: {
        'stage0:k3e3d1': 1.0,
        'stage0:k5e3d1': 1.5,
        'stage0:k3e6d1': 2.0,
        'stage0:k5e6d1': 3.0,
        'stage0:k3e3d2': 2.0,
        'stage0:k5e3d2': 3.0,
        'stage0:k3e6d2': 4.0,
        'stage0:k5e6d2': 6.0,
        'stage1:k3e4d2': 2.0,
        'stage1:k3e6d2': 3.0,
        'stage1:k3e4d3': 3.0,
        'stage1:k3e6d3': 4.5,
        'neck:1': 1.0,
        'neck:2': 2.0,
        'neck:3': 3.0,
        'head:2': 2.0,
        'head:3': 3.0
    }
}
HAND[256] = {key: 4 * ms for key, ms in HAND[128].items()}
BASE = {128: 0.5, 256: 2.0}  # stem, runtime overhead


def _hand_ms(choice):
    return BASE[choice.image_size] + sum(HAND[choice.image_size][k]
                                         for k in choice_keys(SPACE, choice))


def test_single_changes_cover_every_entry_once():
    changes = single_changes(SPACE, 256)
    assert len(changes) == 1 + 7 + 3 + 2 + 1
    assert changes['reference'] == SPACE.smallest().__class__(((3, 3.0, 1), (3, 4.0, 2)), 1, 2, 256)
    assert changes['neck:3'].neck_repeats == 3 and changes['neck:3'].stages == \
        changes['reference'].stages


def test_table_of_an_additive_cost_predicts_it_exactly():
    calls = []

    def measure(choices):
        calls.append(len(choices))
        return {name: _hand_ms(choice) for name, choice in choices.items()}

    table = build_latency_table(SPACE, 'hand', measure)
    assert calls == [14, 14]  # one interleaved run per size
    assert table.reference == {128: 0.5 + 1 + 2 + 1 + 2, 256: 2.0 + 4 * 6}
    assert table.added[128]['stage0:k5e6d2'] == pytest.approx(5.0)
    rng = random.Random(0)
    for _ in range(20):
        choice = SPACE.sample(rng)
        assert table.predict(SPACE, choice) == pytest.approx(_hand_ms(choice))
    assert LatencyTable.from_dict(table.to_dict()) == table


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
