import doctest

from mmdet_efficientdet.utils import boundary_search
from mmdet_efficientdet.utils.boundary_search import bisect_boundary, first_crossing, gallop


def _counted(boundary):
    calls = []

    def crossed(i):
        calls.append(i)
        return i >= boundary

    return crossed, calls


def test_gallop_doubles_its_step_until_crossed():
    crossed, calls = _counted(5)
    assert gallop(crossed, 0, 9) == (3, 7)
    assert calls == [1, 3, 7]


def test_gallop_stops_at_the_end_when_never_crossed():
    crossed, calls = _counted(100)
    assert gallop(crossed, 0, 9) == (9, None)
    assert calls == [1, 3, 7, 9]


def test_bisect_finds_the_first_crossing_in_log_steps():
    crossed, calls = _counted(37)
    assert bisect_boundary(crossed, 0, 64) == 37
    assert len(calls) == 6


def test_first_crossing_for_every_boundary():
    for boundary in range(1, 21):
        assert first_crossing(lambda i, b=boundary: i >= b, 0, 20) == boundary
    assert first_crossing(lambda i: False, 0, 20) is None


def test_the_docstring_examples_hold():
    assert doctest.testmod(boundary_search).failed == 0
