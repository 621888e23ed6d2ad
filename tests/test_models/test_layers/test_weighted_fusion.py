"""WeightedFusion: fast normalized, softmax and sum modes."""
import pytest
import torch

from mmdet_efficientdet.models.layers import WeightedFusion


def test_fast_fusion_normalises_relu_weights():
    fusion = WeightedFusion(3, 'fast', eps=1e-4)
    with torch.no_grad():
        fusion.weight.copy_(torch.tensor([2.0, -1.0, 1.0]))
    weights = fusion.normalized_weights()
    torch.testing.assert_close(weights, torch.tensor([2.0, 0.0, 1.0]) / 3.0001)
    a, b, c = (torch.full((1, 2, 4, 4), v) for v in (1.0, 5.0, 4.0))
    out = fusion([a, b, c])
    torch.testing.assert_close(out, torch.full_like(a, (2 + 4) / 3.0001))


def test_default_weights_average_the_inputs():
    fusion = WeightedFusion(2, 'fast')
    out = fusion([torch.ones(1, 1, 2, 2), 3 * torch.ones(1, 1, 2, 2)])
    torch.testing.assert_close(out, torch.full((1, 1, 2, 2), 4 / 2.0001))


def test_softmax_fusion_weights_sum_to_one():
    fusion = WeightedFusion(3, 'softmax')
    with torch.no_grad():
        fusion.weight.copy_(torch.tensor([0.0, 1.0, 2.0]))
    weights = fusion.normalized_weights()
    assert float(weights.sum()) == pytest.approx(1.0)
    torch.testing.assert_close(weights, torch.softmax(torch.tensor([0., 1., 2.]), 0))


def test_sum_fusion_has_no_parameters():
    fusion = WeightedFusion(2, 'sum')
    assert list(fusion.parameters()) == []
    out = fusion([torch.ones(1, 1, 2, 2), 2 * torch.ones(1, 1, 2, 2)])
    assert torch.equal(out, torch.full((1, 1, 2, 2), 3.0))


def test_gradient_reaches_fusion_weights():
    fusion = WeightedFusion(2, 'fast')
    fusion([torch.rand(1, 1, 2, 2), torch.rand(1, 1, 2, 2) + 1]).sum().backward()
    assert fusion.weight.grad is not None and fusion.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_inputs=2, mode='fastt'), 'fusion mode'),
    (dict(num_inputs=1), 'num_inputs'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WeightedFusion(**kwargs)
