"""EffDetBN trains a batch with one value per channel (P7 of one 128 px image)."""
import torch
from mmcv.cnn import build_norm_layer
from torch import nn

from mmdet_efficientdet.models.layers import EffDetBatchNorm2d, tf_bn_cfg


def _pair(channels=4):
    torch.manual_seed(0)
    ours, reference = EffDetBatchNorm2d(channels), nn.BatchNorm2d(channels)
    for bn in (ours, reference):
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0, 0.0]))
        bn.running_var.copy_(torch.tensor([1.0, 4.0, 0.25, 9.0]))
        bn.weight.data.copy_(torch.tensor([1.0, 2.0, 0.5, 1.5]))
        bn.bias.data.copy_(torch.tensor([0.0, 1.0, -1.0, 0.25]))
    return ours, reference


def test_one_value_per_channel_uses_running_statistics():
    ours, reference = _pair()
    x = torch.tensor([1.5, 1.0, 2.5, 3.0]).view(1, 4, 1, 1)
    out = ours.train()(x)
    expected = reference.eval()(x)
    assert torch.allclose(out, expected)
    assert torch.allclose(out.flatten(), torch.tensor([1.0, 3.0, -0.5, 1.75]), atol=1e-3)
    assert ours.running_mean.tolist() == [0.5, -1.0, 2.0, 0.0]  # not updated
    out.sum().backward()
    assert ours.weight.grad is not None and ours.bias.grad.tolist() == [1.0] * 4


def test_every_other_batch_is_plain_batch_norm():
    ours, reference = _pair()
    x = torch.randn(2, 4, 1, 1)
    assert torch.allclose(ours.train()(x), reference.train()(x))
    assert torch.allclose(ours.running_mean, reference.running_mean)
    y = torch.randn(1, 4, 3, 3)
    assert torch.allclose(ours(y), reference(y))


def test_built_from_the_tf_config_under_the_bn_name():
    name, layer = build_norm_layer(tf_bn_cfg(), 8)
    assert name == 'bn' and type(layer) is EffDetBatchNorm2d
    assert (layer.eps, layer.momentum) == (1e-3, 0.01)
    assert sorted(layer.state_dict()) == sorted(nn.BatchNorm2d(8).state_dict())
