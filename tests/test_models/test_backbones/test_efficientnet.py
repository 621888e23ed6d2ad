"""EfficientNetBackbone: structure, counts, freezing, padding, drop-path."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath

from mmdet_efficientdet.models.backbones import EfficientNetBackbone

# timm efficientnet_b{0,3,7} parameters without conv_head/bn2/classifier
TIMM_FEATURE_PARAMS = {'b0': 3_595_388, 'b3': 10_103_336, 'b7': 62_143_440}
STRIDE_CHANNELS = {
    'b0': [16, 24, 40, 112, 320],
    'b3': [24, 32, 48, 136, 384],
    'b7': [32, 48, 80, 224, 640],
}
STAGE_REPEATS = {
    'b0': [1, 2, 2, 3, 3, 4, 1],
    'b1': [2, 3, 3, 4, 4, 5, 2],
    'b3': [2, 3, 3, 5, 5, 6, 2],
    'b7': [4, 7, 7, 10, 10, 13, 4],
}


@pytest.mark.parametrize('arch', ['b0', 'b3', 'b7'])
def test_param_count_and_channels_match_reference(arch):
    model = EfficientNetBackbone(arch, out_indices=range(5))
    assert sum(p.numel() for p in model.parameters()) == TIMM_FEATURE_PARAMS[arch]
    assert model.out_channels == STRIDE_CHANNELS[arch]


@pytest.mark.parametrize('arch', ['b0', 'b1', 'b3', 'b7'])
def test_stage_repeats_are_depth_scaled_with_ceil(arch):
    model = EfficientNetBackbone(arch)
    assert [len(stage) for stage in model.stages] == STAGE_REPEATS[arch]


def test_output_shapes_any_subset_and_non_square():
    model = EfficientNetBackbone('b0', out_indices=(0, 2, 4)).eval()
    with torch.no_grad():
        outs = model(torch.rand(2, 3, 128, 256))
    assert [tuple(o.shape) for o in outs] == [(2, 16, 64, 128), (2, 40, 16, 32), (2, 320, 4, 8)]
    assert model.out_channels == [16, 40, 320]


def test_bn_uses_tf_settings_and_se_is_sized_from_block_input():
    model = EfficientNetBackbone('b0')
    bn = model.stem.bn
    assert bn.eps == pytest.approx(1e-3) and bn.momentum == pytest.approx(0.01)
    block = model.stages[1][0]  # 16 -> 24, expand 6: SE squeeze int(16 * 0.25)
    assert block.se.conv1.conv.out_channels == 4
    assert block.se.conv1.conv.in_channels == 96


def test_drop_path_grows_linearly_and_is_off_in_eval():
    torch.manual_seed(0)  # inputs and drop-path masks
    model = EfficientNetBackbone('b0', drop_path_rate=0.2)
    rates = [m.drop_prob for m in model.modules() if isinstance(m, DropPath)]
    # 16 blocks, rate 0.2 * i / 16 for blocks with a residual (and i > 0)
    assert rates and max(rates) == pytest.approx(0.2 * 15 / 16)
    assert rates == sorted(rates)
    x = torch.rand(1, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        a, b = model(x)[-1], model(x)[-1]
    assert torch.equal(a, b)
    model.train()  # batch statistics are deterministic: only drop-path differs
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        c, d = model(x)[-1], model(x)[-1]
    assert (c - d).abs().max() > 1e-3 * c.abs().max()


def test_frozen_stages_have_no_grads_and_stay_in_eval():
    model = EfficientNetBackbone('b0', frozen_stages=2)
    model.train()
    assert not model.stem.training and not model.stages[1].training
    assert model.stages[2].training
    out = model(torch.rand(2, 3, 64, 64))
    sum(o.sum() for o in out).backward()
    for module in [model.stem, model.stages[0], model.stages[1]]:
        for p in module.parameters():
            assert not p.requires_grad and p.grad is None
    assert all(p.grad is not None for p in model.stages[2].parameters())


def test_norm_eval_keeps_running_stats():
    model = EfficientNetBackbone('b0', norm_eval=True)
    model.train()
    before = model.stages[3][0].depthwise_conv.bn.running_mean.clone()
    model(torch.rand(2, 3, 64, 64))
    assert torch.equal(before, model.stages[3][0].depthwise_conv.bn.running_mean)


def test_same_padding_pads_right_and_bottom_like_tf():
    model = EfficientNetBackbone('b0', same_padding=True).eval()
    stem = model.stem.conv
    x = torch.rand(1, 3, 32, 32)
    expected = F.conv2d(F.pad(x, [0, 1, 0, 1]), stem.weight, stem.bias, 2)
    torch.testing.assert_close(stem(x), expected)
    symmetric = F.conv2d(x, stem.weight, stem.bias, 2, padding=1)
    assert not torch.allclose(stem(x), symmetric)
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 96, 160))
    assert [tuple(o.shape[-2:]) for o in outs] == [(12, 20), (6, 10), (3, 5)]


@pytest.mark.parametrize('kwargs, match', [
    (dict(arch='b9'), 'arch'),
    (dict(out_indices=(2, 5)), 'out_indices'),
    (dict(out_indices=()), 'out_indices'),
    (dict(frozen_stages=8), 'frozen_stages'),
    (dict(drop_path_rate=1.5), 'drop_path_rate'),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises((KeyError, ValueError), match=match):
        EfficientNetBackbone(**kwargs)


@pytest.mark.parametrize('arch, channels', [('b0', [40, 112, 320]), ('b3', [48, 136, 384]),
                                            ('b7', [80, 224, 640]), ('v2_s', [64, 160, 256])])
def test_feature_channels_without_building(arch, channels):
    from mmdet_efficientdet.models.backbones import efficientnet_feature_channels
    assert efficientnet_feature_channels(arch) == channels
    assert EfficientNetBackbone(arch).out_channels == channels
