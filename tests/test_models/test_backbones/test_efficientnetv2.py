"""EfficientNetV2 through EfficientNetBackbone: Fused-MBConv stages, counts."""
from __future__ import annotations

import pytest
import torch
from mmcv.cnn.bricks import DropPath
from mmdet.models.layers import InvertedResidual

from mmdet_efficientdet.models.backbones import EfficientNetBackbone
from mmdet_efficientdet.models.layers import FusedMBConv
from reference.effdet_ref import import_effdet
from ...conftest import requires_refenv

# timm tf_efficientnetv2_* parameters with features_only=True (no conv_head,
# bn2, classifier), and its feature channels at strides 2..32
TIMM_V2_FEATURE_PARAMS = {
    'v2_b0': 5_610_384,
    'v2_b1': 6_611_732,
    'v2_b2': 8_391_406,
    'v2_b3': 12_461_982,
    'v2_s': 19_847_248,
    'v2_m': 52_200_436,
    'v2_l': 116_412_512,
}
V2_CHANNELS = {
    'v2_b0': [16, 32, 48, 112, 192],
    'v2_b3': [16, 40, 56, 136, 232],  # round_limit 0: 16 * 1.2 stays 16
    'v2_s': [24, 48, 64, 160, 256],
    'v2_m': [24, 48, 80, 176, 512],
    'v2_l': [32, 64, 96, 224, 640],
}
V2_REPEATS = {
    'v2_b3': [2, 3, 3, 5, 7, 12],
    'v2_s': [2, 4, 4, 6, 9, 15],  # paper Table 4
    'v2_l': [4, 7, 7, 10, 19, 25, 7],
}


@pytest.mark.parametrize('arch', sorted(TIMM_V2_FEATURE_PARAMS))
def test_param_count_matches_timm_feature_extractor(arch):
    model = EfficientNetBackbone(arch, out_indices=range(5))
    ours = sum(p.numel() for p in model.parameters())
    assert ours == TIMM_V2_FEATURE_PARAMS[arch]
    if arch in V2_CHANNELS:
        assert model.out_channels == V2_CHANNELS[arch]


@requires_refenv
@pytest.mark.parametrize('arch', ['v2_b0', 'v2_s', 'v2_m'])
def test_counts_match_live_timm(arch):
    """The numbers above are timm's, counted here from timm itself."""
    import_effdet()
    import timm
    ref = timm.create_model(f'tf_efficientnet{arch}', pretrained=False, features_only=True)
    model = EfficientNetBackbone(arch, out_indices=range(5))
    ref_params = sum(p.numel() for p in ref.parameters())
    ours = sum(p.numel() for p in model.parameters())
    assert abs(ours / ref_params - 1) <= 0.01
    assert ours == TIMM_V2_FEATURE_PARAMS[arch]
    assert model.out_channels == ref.feature_info.channels()


@pytest.mark.parametrize('arch', sorted(V2_REPEATS))
def test_fused_stages_first_then_mbconv_with_se(arch):
    model = EfficientNetBackbone(arch)
    assert [len(stage) for stage in model.stages] == V2_REPEATS[arch]
    kinds = [type(stage[0]) for stage in model.stages]
    assert kinds[:3] == [FusedMBConv] * 3
    assert all(k is InvertedResidual for k in kinds[3:])
    assert all(block.se is None for stage in model.stages[:3] for block in stage)
    assert all(block.with_se for stage in model.stages[3:] for block in stage)
    first = model.stages[0][0]  # Fused-MBConv1: a single 3x3 conv + BN + act
    assert first.linear_conv is None
    assert first.fused_conv.conv.kernel_size == (3, 3)
    expanded = model.stages[1][0]  # 3x3 fused expansion x4, then 1x1 project
    assert expanded.fused_conv.conv.out_channels == 4 * expanded.fused_conv.conv.in_channels
    assert expanded.linear_conv.conv.kernel_size == (1, 1)


def test_v2_s_output_shapes_and_residuals():
    model = EfficientNetBackbone('v2_s', out_indices=(2, 3, 4)).eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 128, 96))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 16, 12), (1, 160, 8, 6), (1, 256, 4, 3)]
    stage0 = model.stages[0]  # 24 -> 24 at stride 1: both blocks residual
    assert all(block.with_res_shortcut for block in stage0)
    assert not model.stages[1][0].with_res_shortcut  # stride 2


def test_set_drop_path_rate_rescales_every_block():
    model = EfficientNetBackbone('v2_b0', drop_path_rate=0.0)
    assert not any(isinstance(m, DropPath) for m in model.modules())
    model.set_drop_path_rate(0.3)
    blocks = [block for stage in model.stages for block in stage]
    rates = [getattr(b.drop_path, 'drop_prob', 0.0) for b in blocks]
    assert rates == pytest.approx([0.3 * i / len(blocks) for i in range(len(blocks))])
    assert model.drop_path_rate == 0.3
    model.set_drop_path_rate(0.0)
    assert not any(isinstance(m, DropPath) for m in model.modules())
    with pytest.raises(ValueError, match='drop_path_rate'):
        model.set_drop_path_rate(1.0)
