"""EfficientNet-Lite0-4 as data: the B0 stages without SE, ReLU6, stem and
first/last stage unscaled; widths and parameters equal timm's
``tf_efficientnet_liteN`` feature extractors (measured once with timm 1.0.31,
``features_only=True``; no network here)."""
import pytest
import torch
from torch import nn

from mmdet_efficientdet.models.backbones import EfficientNetBackbone
from mmdet_efficientdet.models.backbones.efficientnet import plan_network

#: timm tf_efficientnet_liteN(features_only=True): feature channels at
#: strides 2..32 and parameter count.
TIMM_LITE = {
    'lite0': ([16, 24, 40, 112, 320], 2_958_848),
    'lite1': ([16, 24, 40, 112, 320], 3_723_520),
    'lite2': ([16, 24, 48, 120, 352], 4_357_952),
    'lite3': ([24, 32, 48, 136, 384], 6_422_016),
    'lite4': ([24, 32, 56, 160, 448], 11_149_568),
}
#: Repeats per stage: first and last fixed at 1, the rest ceil(r * depth).
REPEATS = {
    'lite0': [1, 2, 2, 3, 3, 4, 1],
    'lite1': [1, 3, 3, 4, 4, 5, 1],
    'lite2': [1, 3, 3, 4, 4, 5, 1],
    'lite3': [1, 3, 3, 5, 5, 6, 1],
    'lite4': [1, 4, 4, 6, 6, 8, 1],
}


@pytest.mark.parametrize('arch', sorted(TIMM_LITE))
def test_widths_params_and_repeats_equal_timm(arch):
    channels, params = TIMM_LITE[arch]
    model = EfficientNetBackbone(arch, out_indices=(0, 1, 2, 3, 4), same_padding=True)
    assert model.out_channels == channels
    assert sum(p.numel() for p in model.parameters()) == params
    plan = plan_network(arch)
    assert plan.stem_channels == 32  # fixed stem
    assert [r for _, _, r in plan.stages] == REPEATS[arch]


def test_lite_has_relu6_and_no_squeeze_excitation():
    model = EfficientNetBackbone('lite4')
    kinds = {type(m) for m in model.modules()}
    assert nn.ReLU6 in kinds and nn.SiLU not in kinds
    assert not any('.se.' in name for name, _ in model.named_parameters())
    out = model.eval()(torch.rand(1, 3, 96, 160))
    assert [tuple(o.shape) for o in out] == [(1, 56, 12, 20), (1, 160, 6, 10), (1, 448, 3, 5)]


def test_b_backbones_keep_swish_and_scaled_stem():
    """The Lite rules do not leak into B-backbones."""
    assert plan_network('b4').stem_channels == 48
    assert nn.SiLU in {type(m) for m in EfficientNetBackbone('b0').modules()}
