from mmdet_efficientdet.utils import timing


def test_interleaved_times_calls_in_rounds_after_warmup(monkeypatch):
    monkeypatch.setattr(timing, 'SETTLE_S', 0.0)
    order = []
    fns = {'a': lambda: order.append('a'), 'b': lambda: order.append('b')}
    times = timing.interleaved_times(fns, runs=3, warmup=2)
    assert order == ['a', 'a', 'b', 'b'] + ['a', 'b'] * 3
    assert sorted(times) == ['a', 'b']
    assert [len(v) for v in times.values()] == [3, 3]
    assert all(t >= 0 for v in times.values() for t in v)


def test_median_ms_uses_the_clock(monkeypatch):
    monkeypatch.setattr(timing, 'SETTLE_S', 0.0)
    clock = iter([0.0, 0.002, 1.0, 1.004, 2.0, 2.003])
    monkeypatch.setattr(timing.time, 'perf_counter', lambda: next(clock))
    result = timing.median_ms({'x': lambda: None}, runs=3, warmup=0)
    assert abs(result['x'] - 3.0) < 1e-9


def test_p90_is_the_nearest_rank():
    assert timing.p90(list(range(11))) == 9
    assert timing.p90([5.0]) == 5.0
