"""The scaling table: the paper's rule, where the official table departs, helpers."""
import pytest

from mmdet_efficientdet.scaling import (EFFICIENTDET_SCALES, EFFICIENTDET_V2_SCALES,
                                        EFFICIENTNET_SCALES, compound_level, compound_numbers,
                                        get_efficientdet_scale, round_channels, round_repeats)


@pytest.mark.parametrize('level', ['d0', 'd1', 'd2', 'd3', 'd4'])
def test_d0_to_d4_follow_the_compound_rule(level):
    s = EFFICIENTDET_SCALES[level]
    rule = compound_numbers(s.phi)
    assert s.image_size == rule.image_size == 512 + 128 * s.phi
    assert s.bifpn_repeats == rule.bifpn_repeats == 3 + s.phi
    assert s.head_repeats == rule.head_repeats == 3 + s.phi // 3
    # the paper rounds 64 * 1.35**phi by hand (212.6 -> 224) to a multiple of 8
    assert s.bifpn_channels % 8 == 0
    assert abs(s.bifpn_channels / (64 * 1.35**s.phi) - 1) < 0.06


def test_official_table_departures_win():
    d5, d6, d7, d7x = (EFFICIENTDET_SCALES[k] for k in ('d5', 'd6', 'd7', 'd7x'))
    assert (d5.image_size, compound_numbers(5).image_size) == (1280, 1152)
    assert (d5.bifpn_repeats, compound_numbers(5).bifpn_repeats) == (7, 8)
    assert (d6.bifpn_repeats, d6.fusion) == (8, 'sum')
    assert (d7.image_size, d7.backbone, d7.anchor_scale) == (1536, 'b6', 5.0)
    assert (d7x.backbone, d7x.max_level, d7x.strides[-1]) == ('b7', 8, 256)


def test_table_rows():
    widths = [EFFICIENTDET_SCALES[k].bifpn_channels for k in EFFICIENTDET_SCALES]
    assert widths == [64, 88, 112, 160, 224, 288, 384, 384, 384]
    assert [EFFICIENTDET_SCALES[k].head_repeats
            for k in EFFICIENTDET_SCALES] == [3, 3, 3, 4, 4, 4, 5, 5, 5]


def test_round_channels_and_repeats():
    assert [round_channels(c, 1.1) for c in (32, 40, 112, 320)] == [32, 48, 120, 352]
    assert [round_channels(c, 1.4) for c in (40, 112, 320)] == [56, 160, 448]
    assert round_channels(16, 0.25) == 8  # never below the divisor
    assert [round_repeats(r, 3.1) for r in (1, 2, 3, 4)] == [4, 7, 10, 13]


def test_unknown_level_named():
    with pytest.raises(KeyError, match='d9'):
        get_efficientdet_scale('d9')
    assert get_efficientdet_scale('D3').bifpn_channels == 160


@pytest.mark.parametrize('name, level', [('v2-b0', 'd0'), ('v2-b3', 'd3'), ('v2-s', 'd4')])
def test_v2_rows_keep_their_d_level_numbers(name, level):
    import dataclasses
    v2, d = EFFICIENTDET_V2_SCALES[name], EFFICIENTDET_SCALES[level]
    assert v2.backbone == name.replace('-', '_') and v2.params_m is None
    assert dataclasses.replace(v2, backbone=d.backbone, params_m=d.params_m, flops_g=d.flops_g) == d
    assert get_efficientdet_scale(name.upper()) is v2


def test_v2_b_widths_round_without_the_90_percent_limit():
    assert EFFICIENTNET_SCALES['v2_b3'].round_limit == 0.0
    assert EFFICIENTNET_SCALES['v2_s'].round_limit == 0.9
    assert round_channels(16, 1.2, round_limit=0.0) == 16
    assert round_channels(16, 1.2) == 24


# --- compound scaling as a method: any phi, explicit numbers ---------------


def test_compound_level_at_integer_phi_is_the_formula():
    for phi in range(8):
        s = compound_level(phi)
        assert s.image_size == 512 + 128 * phi
        assert s.bifpn_channels == round_channels(64 * 1.35**phi, 1.0)
        assert s.bifpn_repeats == 3 + phi
        assert s.head_repeats == 3 + phi // 3
        assert s.backbone == f'b{phi}'


def test_compound_level_reproduces_the_table_where_rule_and_table_agree():
    from mmdet_efficientdet.scaling import EFFICIENTDET_SCALES, compound_level, rule_vs_table
    differ = rule_vs_table()
    assert differ == {
        'd2': {
            'bifpn_channels': (112, 120)
        },
        'd4': {
            'bifpn_channels': (224, 216)
        },
        'd5': {
            'image_size': (1280, 1152),
            'bifpn_repeats': (7, 8)
        },
        'd6': {
            'bifpn_repeats': (8, 9)
        },
        'd7': {
            'image_size': (1536, 1408),
            'bifpn_channels': (384, 520),
            'bifpn_repeats': (8, 10)
        }
    }
    for name in ('d0', 'd1', 'd3'):
        t, r = EFFICIENTDET_SCALES[name], compound_level(EFFICIENTDET_SCALES[name].phi)
        assert (t.image_size, t.bifpn_channels, t.bifpn_repeats, t.head_repeats,
                t.backbone) == (r.image_size, r.bifpn_channels, r.bifpn_repeats, r.head_repeats,
                                r.backbone)


def test_fractional_levels_grow_monotonically_and_round_like_automl():
    from mmdet_efficientdet.scaling import compound_level
    rows = [compound_level(p / 4) for p in range(0, 29)]
    for a, b in zip(rows, rows[1:]):
        assert b.image_size >= a.image_size
        assert b.bifpn_channels >= a.bifpn_channels
        assert b.bifpn_repeats >= a.bifpn_repeats
    for s in rows:
        assert s.bifpn_channels % 8 == 0 and s.image_size % 128 == 0
        assert s.bifpn_channels >= 0.9 * 64 * 1.35**s.phi
    s = compound_level(1.5)
    assert (s.image_size, s.backbone, s.bifpn_channels, s.bifpn_repeats,
            s.head_repeats) == (768, 'b1', 104, 5, 3)  # ceil(4.5) repeats


def test_levels_as_config_data_and_their_errors():
    from mmdet_efficientdet.scaling import get_efficientdet_scale
    assert get_efficientdet_scale(dict(phi=2.5)).bifpn_channels == 136
    s = get_efficientdet_scale(
        dict(backbone='lite1', bifpn_channels=72, bifpn_repeats=3, head_repeats=3, image_size=384))
    assert (s.backbone, s.image_size) == ('lite1', 384)
    for bad, match in [
        (dict(phi=-1), 'phi'), (dict(phi='x'), 'phi'),
        (dict(backbone='b0', bifpn_channels=64, bifpn_repeats=3, head_repeats=3,
              image_size=300), 'multiple of 128'), (dict(width=3), 'give dict')
    ]:
        with pytest.raises(ValueError, match=match):
            get_efficientdet_scale(bad)


def test_compound_level_and_a_scaled_base_share_the_rule():
    rule = compound_numbers(2.5)
    level = compound_level(2.5)
    assert (level.image_size, level.bifpn_channels, level.bifpn_repeats,
            level.head_repeats) == (rule.image_size, rule.bifpn_channels, rule.bifpn_repeats,
                                    rule.head_repeats) == (896, 136, 6, 3)
    scaled = compound_numbers(
        1, image_size=320, bifpn_channels=64, width_factor=1.35, size_factor=1.15, size_divisor=32)
    assert scaled == compound_numbers(1, 320, 64, 3, 3, size_factor=1.15, size_divisor=32)
    assert (scaled.image_size, scaled.bifpn_channels) == (384, 88)
