"""Conv2dSamePadding: TF 'SAME' numbers, static padding where possible."""
import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn import build_conv_layer

from mmdet_efficientdet.models.layers import Conv2dSamePadding, MaxPool2dDown, same_pad_amount
from mmdet_efficientdet.models.layers.padding import fast_zero_pad


def _tf_same(x, conv):
    """Reference: pad every side as TF 'SAME' does, then a VALID conv."""
    pads = []
    for dim, (k, s, d) in enumerate(zip(conv.kernel_size, conv.stride, conv.dilation)):
        size = x.shape[2 + dim]
        total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    x = F.pad(x, [*pads[1], *pads[0]])
    return F.conv2d(x, conv.weight, conv.bias, conv.stride, 0, conv.dilation, conv.groups)


@pytest.mark.parametrize('kernel, stride, dilation, groups', [
    (3, 1, 1, 1),
    (5, 1, 1, 8),
    (1, 1, 1, 1),
    (3, 2, 1, 8),
    (5, 2, 1, 1),
    (3, 1, 2, 1),
    (2, 1, 1, 1),
])
@pytest.mark.parametrize('size', [(16, 16), (17, 10)])
def test_matches_tf_same_padding(kernel, stride, dilation, groups, size):
    torch.manual_seed(0)
    conv = Conv2dSamePadding(8, 8, kernel, stride=stride, dilation=dilation, groups=groups)
    x = torch.randn(2, 8, *size)
    torch.testing.assert_close(conv(x), _tf_same(x, conv))
    # stride 1 with an even span pads statically; strided/even kernels don't
    assert conv.static_same == (stride == 1 and (kernel - 1) * dilation % 2 == 0)


def test_built_through_conv_cfg_and_same_keys_as_nn_conv():
    conv = build_conv_layer(dict(type='Conv2dSamePadding'), 4, 6, 3, stride=2, bias=False)
    assert isinstance(conv, Conv2dSamePadding)
    assert list(conv.state_dict()) == ['weight']
    assert [same_pad_amount(n, 3, 2, 1) for n in (64, 65)] == [1, 2]
    assert same_pad_amount(64, 5, 2, 1) == 3


@pytest.mark.parametrize('layout', [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize('pads', [(0, 1, 0, 1), (1, 2, 1, 2), (1, 1, 0, 0), (0, 0, 2, 1)])
def test_fast_zero_pad_equals_f_pad(layout, pads):
    x = torch.randn(2, 5, 7, 6).contiguous(memory_format=layout)
    out = fast_zero_pad(x, pads)
    assert torch.equal(out, F.pad(x, list(pads)))
    assert out.is_contiguous(memory_format=layout)


@pytest.mark.parametrize('size', [(1, 1), (2, 3), (6, 7), (16, 16), (17, 9)])
def test_same_max_pool_needs_no_padded_copy(size):
    """ceil_mode max-pooling gives exactly TF's 'SAME' (-inf padded) pool."""
    x = torch.randn(2, 3, *size)
    pad_h = same_pad_amount(size[0], 3, 2, 1)
    pad_w = same_pad_amount(size[1], 3, 2, 1)
    padded = F.pad(
        x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2], value=float('-inf'))
    expected = F.max_pool2d(padded, 3, 2)
    out = MaxPool2dDown(same_padding=True)(x)
    assert out.shape[-2:] == ((size[0] + 1) // 2, (size[1] + 1) // 2)
    assert torch.equal(out, expected)
