"""Fused-MBConv block."""
import pytest
import torch

from mmdet_efficientdet.models.layers import FusedMBConv


def test_expansion_one_is_a_single_conv_bn_act_with_residual():
    block = FusedMBConv(8, 8, 8).eval()
    assert block.linear_conv is None and block.with_res_shortcut
    x = torch.randn(2, 8, 10, 6)
    with torch.no_grad():
        expected = x + block.fused_conv(x)
        assert torch.allclose(block(x), expected)
    # one 3x3 conv without bias (BN follows) + BN affine
    assert sum(p.numel() for p in block.parameters()) == 8 * 8 * 9 + 2 * 8


def test_expanded_block_projects_without_activation():
    block = FusedMBConv(8, 16, 32, stride=2, se_cfg=dict(channels=32, ratio=16)).eval()
    assert not block.with_res_shortcut
    assert not block.linear_conv.with_activation
    x = torch.randn(1, 8, 9, 9)
    with torch.no_grad():
        out = block(x)
        expected = block.linear_conv(block.se(block.fused_conv(x)))
    assert out.shape == (1, 16, 5, 5)
    assert torch.equal(out, expected)


def test_gradient_checkpointing_gives_same_gradients():
    torch.manual_seed(0)
    plain = FusedMBConv(8, 8, 24)
    ckpt = FusedMBConv(8, 8, 24, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    grads = []
    for block in (plain, ckpt):
        torch.manual_seed(1)
        x = torch.randn(2, 8, 6, 6, requires_grad=True)
        block(x).square().sum().backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[0], grads[1])


@pytest.mark.parametrize('kwargs, match', [
    (dict(stride=3), 'stride'),
    (dict(mid_channels=8, se_cfg=dict(channels=8, ratio=4)), 'expansion'),
])
def test_bad_arguments(kwargs, match):
    args = dict(in_channels=8, out_channels=8, mid_channels=16)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        FusedMBConv(**args)
