"""Channel groups, SIMD-aligned structured pruning, widths as config data."""
from __future__ import annotations
import copy

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS

from mmdet_efficientdet.models.backbones.efficientnet import network_widths, plan_network
from mmdet_efficientdet.pruning import (apply_widths, build_group_graph, kept_channels,
                                        prune_detector, pruned_widths, simd_width)


def _outputs(model, x):
    with torch.no_grad():
        cls_scores, bbox_preds = model._forward(x)
    return list(cls_scores) + list(bbox_preds)


def test_groups_of_d0_name_the_config_numbers(d0):
    _, model = d0
    groups = build_group_graph(copy.deepcopy(model)).groups
    widths = {name: g.channels for name, g in groups.items()}
    assert widths == {
        'stem': 32,
        's0.out': 16,
        's1.b0.mid': 96,
        's1.b1.mid': 144,
        's1.out': 24,
        's2.b0.mid': 144,
        's2.b1.mid': 240,
        's2.out': 40,
        's3.b0.mid': 240,
        's3.b1.mid': 480,
        's3.b2.mid': 480,
        's3.out': 80,
        's4.b0.mid': 480,
        's4.b1.mid': 672,
        's4.b2.mid': 672,
        's4.out': 112,
        's5.b0.mid': 672,
        's5.b1.mid': 1152,
        's5.b2.mid': 1152,
        's5.b3.mid': 1152,
        's5.out': 192,
        's6.b0.mid': 1152,
        's6.out': 320,
        'bifpn': 64,
        'head': 64
    }
    assert len(groups['head'].roots) == 6  # 3 stacked convs x 2 branches


def test_depgraph_couples_residuals_bifpn_and_per_level_bns(d0):
    _, model = d0
    found = build_group_graph(copy.deepcopy(model))

    def members(name):
        return {
            found.graph._module2name.get(dep.target.module)
            for g in found.pruning_groups(found.groups[name], [0])
            for dep, _ in g
        }

    stage4 = members('s4.out')
    # the projections of all three blocks (residual adds) and the BiFPN
    # inputs that read P4
    assert {
        'detector.backbone.stages.4.0.linear_conv.conv',
        'detector.backbone.stages.4.2.linear_conv.conv',
        'detector.backbone.stages.5.0.expand_conv.conv'
    } <= stage4
    assert any('neck.stages.0.nodes' in m for m in stage4 if m)
    head = members('head')
    # one BN per level after the shared conv: cls_bns[layer][level]
    assert {f'detector.bbox_head.cls_bns.0.{lvl}' for lvl in range(5)} <= head
    bifpn = members('bifpn')
    assert any('neck.stages.2.nodes.7' in m for m in bifpn if m)
    assert any('bbox_head.reg_convs.0.depthwise_conv' in m for m in bifpn if m)


def test_kept_channels_round_to_the_simd_width():
    assert [kept_channels(40, r, 16) for r in (0.1, 0.3, 0.5, 0.9)] == \
        [32, 32, 16, 16]
    assert kept_channels(1152, 0.3, 16) == 800  # 806.4 -> 800
    assert kept_channels(1152, 0.3, 1) == 806
    assert kept_channels(8, 0.5, 16) == 8  # narrower than a lane: kept
    assert kept_channels(96, 0.0, 16) == 96  # unpruned: unchanged
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match='must be in'):
            kept_channels(96, bad, 16)


def test_simd_width_from_cpu_flags(tmp_path):
    for flags, lanes in (('fpu sse2 avx avx2 avx512f', 16), ('fpu sse2 avx avx2 fma', 8),
                         ('fpu sse2', 4), ('neon', 4)):
        info = tmp_path / 'cpuinfo'
        info.write_text(f'processor\t: 0\nflags\t\t: {flags}\n')
        assert simd_width(str(info)) == lanes
    assert simd_width(str(tmp_path / 'missing')) == 4
    assert simd_width() in (4, 8, 16)


@pytest.mark.parametrize('round_to', [16, 8])
def test_pruned_widths_are_simd_multiples_and_the_config_rebuilds_it(d0, round_to):
    cfg, model = d0
    pruned = copy.deepcopy(model)
    changes = prune_detector(pruned, {'*': 0.4}, round_to)
    assert changes['s5.b1.mid'] == (1152, 688)  # 691.2 -> 688 (43 x 16)
    for name, (before, after) in changes.items():
        assert after % round_to == 0 and after < before, name
    # a group no wider than a lane stays: 16 channels at 16 lanes
    assert ('s0.out' in changes) == (round_to == 8)
    widths = pruned_widths(pruned)
    rebuilt = MODELS.build(apply_widths(cfg.model, widths)).eval()
    rebuilt.load_state_dict(pruned.state_dict(), strict=True)
    x = torch.randn(2, 3, 128, 128)
    for got, want in zip(_outputs(rebuilt, x), _outputs(pruned, x)):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-5)
    params = sum(p.numel() for p in pruned.parameters())
    assert params < 0.6 * sum(p.numel() for p in model.parameters())


def test_pruning_removes_the_least_important_channels(d0):
    _, model = d0
    pruned = copy.deepcopy(model)
    head = pruned.bbox_head
    conv = head.cls_convs[0].pointwise_conv.conv
    with torch.no_grad():  # channel 5 is now the least important
        conv.weight[5].mul_(1e-3)
        head.cls_convs[1].depthwise_conv.conv.weight[5].mul_(1e-3)
        for bn in head.cls_bns[0]:
            bn.weight[5] *= 1e-3
            bn.bias[5] *= 1e-3
    kept = conv.weight[[i for i in range(64) if i != 5]].clone()
    prune_detector(pruned, {'head': 1 / 64}, round_to=1)
    assert pruned.bbox_head.cls_convs[0].pointwise_conv.conv.out_channels == 63
    torch.testing.assert_close(pruned.bbox_head.cls_convs[0].pointwise_conv.conv.weight, kept)


def test_pruning_nothing_changes_nothing(d0):
    cfg, model = d0
    pruned = copy.deepcopy(model)
    assert prune_detector(pruned, {'*': 0.0}, 16) == {}
    assert prune_detector(pruned, {}, 16) == {}
    widths = pruned_widths(pruned)
    assert widths['backbone_channels'] == network_widths(plan_network('b0'))
    x = torch.randn(1, 3, 128, 128)
    for got, want in zip(_outputs(pruned, x), _outputs(model, x)):
        assert torch.equal(got, want)
    rebuilt = MODELS.build(apply_widths(cfg.model, widths))
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
        {k: v.shape for k, v in model.state_dict().items()}


def test_pruned_model_exports_to_onnx(d0, tmp_path):
    import onnxruntime as ort

    from mmdet_efficientdet.deployment import export_onnx
    _, model = d0
    pruned = copy.deepcopy(model)
    prune_detector(pruned, {'s*.mid': 0.5, 'bifpn': 0.5, 'head': 0.5}, 16)
    path = str(tmp_path / 'pruned.onnx')
    export_onnx(pruned, path, (128, 128))
    x = torch.randn(1, 3, 128, 128)
    got = ort.InferenceSession(
        path, providers=['CPUExecutionProvider']).run(None, {'input': x.numpy()})
    for g, w in zip(got, _outputs(pruned, x)):
        np.testing.assert_allclose(g, w.numpy(), rtol=0, atol=1e-4)


def test_bad_ratios_and_groups_are_clear_errors(d0):
    _, model = d0
    for bad in (0.0 - 0.1, 1.0, 2.0):
        with pytest.raises(ValueError, match=r'pruning ratio .* must be in'):
            prune_detector(copy.deepcopy(model), {'head': bad}, 16)
    with pytest.raises(ValueError, match=r"unknown channel group 's9.out'"):
        prune_detector(copy.deepcopy(model), {'s9.out': 0.5}, 16)


def test_backbone_channels_are_validated_by_key():
    from mmdet_efficientdet.models.backbones import EfficientNetBackbone
    widths = network_widths(plan_network('b0'))
    bad = copy.deepcopy(widths)
    bad['mid'][3] = bad['mid'][3][:2]
    with pytest.raises(ValueError, match=r'channels.mid\[3\] must have 3'):
        EfficientNetBackbone('b0', channels=bad)
    bad = copy.deepcopy(widths)
    bad['stage_out'][2] = 0
    with pytest.raises(ValueError, match=r'channels.stage_out\[2\]=0'):
        EfficientNetBackbone('b0', channels=bad)
    with pytest.raises(ValueError, match='channels must be a dict with keys'):
        EfficientNetBackbone('b0', channels=dict(stem=32))


def test_frozen_stages_are_traced_and_stay_frozen(d0):
    """The fine-tuning templates freeze the stem and first stage
    (frozen_stages=1): their channels are still groups, and pruning them
    leaves those layers frozen."""
    cfg, _ = d0
    frozen_cfg = copy.deepcopy(cfg.model)
    frozen_cfg.backbone.frozen_stages = 1
    torch.manual_seed(0)
    model = MODELS.build(frozen_cfg).eval()
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert any(n.startswith('backbone.stem') for n in frozen)
    groups = build_group_graph(model).groups
    assert groups['stem'].channels == 32 and groups['s0.out'].channels == 16
    x = torch.randn(1, 3, 128, 128)
    prune_detector(model, {'stem': 0.5}, 8)
    assert {n for n, p in model.named_parameters() if not p.requires_grad} == frozen
    assert model.backbone.stem.conv.weight.shape[0] == 16
    assert [tuple(o.shape) for o in _outputs(model, x)][0][0] == 1
