import torch
from torch import nn

from mmdet_efficientdet.models.layers import ActivePrefixList


def test_iterates_prefix_keeps_every_parameter():
    layers = ActivePrefixList([nn.Linear(2, 2) for _ in range(3)])
    keys = sorted(layers.state_dict())
    layers.active = 1
    assert len(list(layers)) == 1 and len(layers) == 3
    assert sorted(layers.state_dict()) == keys
    assert sum(p.numel() for p in layers.parameters()) == 3 * 6
    x = torch.ones(1, 2)
    out = x
    for layer in layers:
        out = layer(out)
    assert torch.equal(out, layers[0](x))
    layers.active = None
    assert len(list(layers)) == 3
