import math

import torch
from mmengine.model import initialize
from torch import nn

import mmdet_efficientdet  # noqa: F401  (registers PriorProbBias)


def test_layer_mode_sets_biases_of_that_layer_only():
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.Linear(3, 2), nn.Conv2d(3, 3, 1, bias=False))
    before = [p.clone() for p in model.parameters()]
    initialize(model, dict(type='PriorProbBias', layer='Conv2d', prior_prob=0.01))
    torch.testing.assert_close(model[0].bias, torch.full((3, ), -math.log(99)))
    assert torch.equal(model[0].weight, before[0])
    assert torch.equal(model[1].weight, before[2]) and torch.equal(model[1].bias, before[3])
    assert model[2].bias is None


def test_override_sets_every_conv_bias_of_the_named_module():
    model = nn.Module()
    model.head = nn.Sequential(nn.Conv2d(2, 2, 3, bias=False), nn.Conv2d(2, 4, 1))
    model.other = nn.Conv2d(2, 2, 1)
    initialize(
        model,
        dict(
            type='Constant',
            layer='Conv2d',
            val=0.5,
            override=dict(type='PriorProbBias', name='head', prior_prob=0.01)))
    torch.testing.assert_close(model.head[1].bias, torch.full((4, ), -math.log(99)))
    assert float(model.head[1].weight.mean()) == 0.5
    assert float(model.other.bias.abs().max()) == 0.0  # Constant's bias, not the prior
