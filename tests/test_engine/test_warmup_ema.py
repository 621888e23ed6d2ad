"""EMA with automl's decay warm-up: min(decay, (1 + t) / (10 + t))."""
import pytest
import torch

from mmdet_efficientdet.engine import WarmupExponentialMovingAverage


def test_decay_warms_up_then_holds():
    ema = WarmupExponentialMovingAverage(torch.nn.Linear(1, 1, bias=False), momentum=0.0002)
    assert [ema.decay_at(t) for t in (0, 1, 10)] == pytest.approx([0.1, 2 / 11, 11 / 20])
    assert ema.decay_at(10**6) == pytest.approx(0.9998)


def test_average_follows_the_formula():
    model = torch.nn.Linear(1, 1, bias=False)
    ema = WarmupExponentialMovingAverage(model, momentum=0.0002)
    values = [1.0, 3.0, -2.0, 5.0]
    expected = None
    for t, value in enumerate(values):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.update_parameters(model)
        if t == 0:
            expected = value  # the first update copies
        else:
            decay = min(0.9998, (1 + t) / (10 + t))
            expected = decay * expected + (1 - decay) * value
        assert float(ema.module.weight) == pytest.approx(expected, rel=1e-6)
