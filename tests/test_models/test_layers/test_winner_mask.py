"""WinnerMask (Integral Pruning activation masks) and the backbone option."""
import copy

import pytest
import torch

from mmdet_efficientdet.models.backbones import EfficientNetBackbone
from mmdet_efficientdet.models.layers import WinnerMask


def test_keeps_the_largest_magnitudes_per_sample():
    x = torch.tensor([[1.0, -5.0, 2.0, 0.5], [3.0, 0.1, -0.2, 4.0]])
    out = WinnerMask(0.5)(x.view(2, 4, 1, 1)).view(2, 4)
    assert out.tolist() == [[0.0, -5.0, 2.0, 0.0], [3.0, 0.0, 0.0, 4.0]]
    assert WinnerMask(1.0)(x) is x
    mask = WinnerMask(0.3)
    mask(torch.randn(2, 8, 5, 5))
    assert mask.density == pytest.approx(60 / 200)  # ceil(0.3 * 200) each
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match='winner rate'):
            WinnerMask(bad)


def test_gradients_reach_winners_only():
    x = torch.tensor([[[[1.0]], [[-3.0]], [[0.2]], [[2.0]]]], requires_grad=True)
    WinnerMask(0.5)(x).sum().backward()
    assert x.grad.flatten().tolist() == [0.0, 1.0, 0.0, 1.0]


def test_backbone_masks_named_blocks_without_new_weights():
    torch.manual_seed(0)
    plain = EfficientNetBackbone('b0').eval()
    masked = copy.deepcopy(plain)
    masked.set_activation_masks({'s5.*': 0.25, 's6.b0': 0.5})
    assert set(plain.state_dict()) == set(masked.state_dict())
    rates = {
        f's{i}.b{j}': b.winner_mask.rate
        for i, s in enumerate(masked.stages)
        for j, b in enumerate(s) if hasattr(b, 'winner_mask')
    }
    assert rates == {'s5.b0': 0.25, 's5.b1': 0.25, 's5.b2': 0.25, 's5.b3': 0.25, 's6.b0': 0.5}
    x = torch.randn(1, 3, 128, 128)
    with torch.no_grad():
        a, b = plain(x), masked(x)
    assert torch.equal(a[0], b[0])  # P3 comes before the masked stages
    assert not torch.equal(a[2], b[2])
    assert masked.stages[5][1].winner_mask.density == pytest.approx(0.25, abs=1e-3)
    # the config option builds the same thing
    built = EfficientNetBackbone('b0', activation_masks={'s5.*': 0.25, 's6.b0': 0.5}).eval()
    built.load_state_dict(plain.state_dict())
    with torch.no_grad():
        assert torch.equal(built(x)[2], b[2])
    with pytest.raises(ValueError, match="'s9.b0' names no MBConv block"):
        masked.set_activation_masks({'s9.b0': 0.5})
