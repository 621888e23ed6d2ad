"""The elastic EfficientNet: the parent embedded computes the parent's
function; smaller choices run parts of the weights; refusals."""
import pytest
import torch

from mmdet_efficientdet.models.backbones import EfficientNetBackbone, ElasticEfficientNetBackbone
from mmdet_efficientdet.models.backbones.elastic_efficientnet import crop_tensor, embed_tensor

#: Lite0 with every kernel 5 and one more block in stage 2 (the largest choice).
LARGEST = [
    'ds_r1_k3_s1_e1_c16', 'ir_r2_k5_s2_e6_c24', 'ir_r3_k5_s2_e6_c40', 'ir_r3_k5_s2_e6_c80',
    'ir_r3_k5_s1_e6_c112', 'ir_r4_k5_s2_e6_c192', 'ir_r1_k5_s1_e6_c320'
]
LITE0 = [(3, 1, 1), (3, 6, 2), (5, 6, 2), (3, 6, 3), (5, 6, 3), (5, 6, 4), (3, 6, 1)]


def _eval_supernet_backbone():
    """The largest-choice backbone in eval mode with random BN statistics,
    and a ``(1, 3, 64, 64)`` input (seeded)."""
    torch.manual_seed(0)
    net = ElasticEfficientNetBackbone('lite0', blocks=LARGEST)
    _randomise_bn(net)
    return net.eval(), torch.randn(1, 3, 64, 64)


def _randomise_bn(module):
    gen = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


@pytest.mark.parametrize('same_padding', [False, True])
def test_embedded_parent_computes_the_parent(same_padding):
    torch.manual_seed(0)
    parent = EfficientNetBackbone('lite0', same_padding=same_padding)
    _randomise_bn(parent)
    parent.eval()
    net = ElasticEfficientNetBackbone('lite0', blocks=LARGEST, same_padding=same_padding)
    net.embed(parent.state_dict())
    net.sort_channels()
    net.eval().set_choice(LITE0)
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        for ours, theirs in zip(net(x), parent(x)):
            assert ours.shape == theirs.shape
            assert (ours - theirs).abs().max() < 1e-4 * theirs.abs().max()
    # the 3x3 parent kernel sits in the centre of the 5x5, with a zero ring
    weight = net.stages[1][0].depthwise_conv.conv.weight
    assert weight.shape[-2:] == (5, 5) and weight[:, :, 0].abs().sum() == 0


def test_smaller_choice_uses_first_channels_and_blocks():
    net, x = _eval_supernet_backbone()
    with torch.no_grad():
        full = net(x)
        net.set_choice([(3, 1, 1), (3, 3, 1), (3, 3, 1), (3, 3, 1), (3, 3, 1), (3, 3, 1),
                        (3, 3, 1)])
        small = net(x)
    assert [tuple(o.shape) for o in small] == [tuple(o.shape) for o in full]
    assert not torch.allclose(small[-1], full[-1])


def test_sorting_channels_keeps_the_function():
    net, x = _eval_supernet_backbone()
    with torch.no_grad():
        before = net(x)
        net.sort_channels()
        after = net(x)
    assert all((a - b).abs().max() < 1e-4 * b.abs().max() for a, b in zip(after, before))
    norms = net.stages[3][0].linear_conv.conv.weight.abs().sum(dim=(0, 2, 3))
    assert torch.all(norms[:-1] >= norms[1:])


def test_embed_and_crop_are_inverse():
    small = torch.arange(2 * 1 * 3 * 3, dtype=torch.float).reshape(2, 1, 3, 3)
    large = embed_tensor(small, torch.empty(4, 1, 5, 5))
    assert torch.equal(large[:2, :, 1:4, 1:4], small) and large.abs().sum() == small.sum()
    assert torch.equal(crop_tensor(large, small.shape), small)


def test_refusals():
    net = ElasticEfficientNetBackbone('lite0', blocks=LARGEST)
    with pytest.raises(ValueError, match=r"stage 1: choice \(7, 6, 2\) is not within"):
        net.set_choice([(3, 1, 1), (7, 6, 2)] + [(3, 6, 1)] * 5)
    with pytest.raises(ValueError, match='only MBConv stages without SE'):
        ElasticEfficientNetBackbone('b0', blocks=['ir_r1_k3_s1_e6_c16_se0.25'] * 7)
