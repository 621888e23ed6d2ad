"""The compound-scaling method: the coefficient grid, the levels it gives,
backbones as data, and the grid search on a tiny model."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmdet_efficientdet.budget import (Coefficients, coefficient_grid, scaled_level,
                                       search_coefficients)
from mmdet_efficientdet.config_utils import level_model
from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.models.backbones.efficientnet import plan_network
from mmdet_efficientdet.scaling import EFFICIENTDET_SCALES, get_efficientdet_scale
from ..conftest import REPO
from ..process import tool_error

PAPER = Coefficients(1.2, 1.1, 1.15)


def test_grid_keeps_the_constraint_and_holds_the_paper():
    grid = coefficient_grid([1.0, 1.2, 1.4], [1.0, 1.1, 1.2], [1.0, 1.15, 1.3])
    assert [c.name for c in grid] == [
        'a1_b1.1_g1.3', 'a1_b1.2_g1.15', 'a1.2_b1_g1.3', 'a1.2_b1.1_g1.15', 'a1.4_b1_g1.15',
        'a1.4_b1.2_g1'
    ]
    assert [c.is_paper for c in grid].count(True) == 1
    assert all(abs(c.flops_factor - 2) <= 0.15 for c in grid)
    assert PAPER.flops_factor == pytest.approx(1.92027)
    # the paper's point is added even when the grid misses it
    assert coefficient_grid([1.0], [1.2], [1.2], tolerance=0.1)[-1] == PAPER
    with pytest.raises(UserError, match='must be >= 1'):
        coefficient_grid([0.9], [1.1], [1.15])
    with pytest.raises(UserError, match='no .alpha, beta, gamma. on the grid'):
        coefficient_grid([1.0], [1.0], [1.0])  # the paper's point does not count


def test_paper_coefficients_from_d0_give_the_table_widths_at_phi_3():
    d0 = get_efficientdet_scale('d0')
    one = scaled_level(d0, 512, PAPER, 1)
    assert one['backbone'] == dict(
        width=1.1, depth=1.2, blocks='v1', round_limit=0.9)  # B2's multipliers
    assert (one['bifpn_channels'], one['bifpn_repeats'], one['head_repeats'],
            one['image_size']) == (88, 4, 3, 640)  # D1's BiFPN, head, input
    three = scaled_level(d0, 512, PAPER, 3)
    d3 = EFFICIENTDET_SCALES['d3']
    assert (three['bifpn_channels'], three['bifpn_repeats'], three['head_repeats']) == (
        d3.bifpn_channels, d3.bifpn_repeats, d3.head_repeats) == (160, 6, 4)
    assert three['image_size'] == 768  # 512 * 1.15^3 = 779 -> 768 (D3: 896)
    assert three['backbone']['width'] == 1.331
    small = scaled_level(d0, 128, PAPER, 1, size_divisor=32)
    assert small['image_size'] == 160 and small['size_divisor'] == 32
    with pytest.raises(UserError, match='phi=-1 must be >= 0'):
        scaled_level(d0, 512, PAPER, -1)


def test_backbone_given_as_data_plans_like_its_row():
    assert plan_network(dict(width=1.1, depth=1.2)) == plan_network('b2')
    lite = plan_network(dict(width=1.0, depth=1.1, blocks='lite'))
    assert lite == plan_network('lite1')
    level = scaled_level(get_efficientdet_scale('lite0'), 320, PAPER, 1, size_divisor=32)
    model = level_model(level)
    assert model['backbone']['arch']['blocks'] == 'lite'
    assert model['backbone']['init_cfg'] is None  # no checkpoint for it
    assert model['neck']['act_cfg'] == dict(type='ReLU6')
    assert model['data_preprocessor']['pad_size_divisor'] == 128  # 384
    with pytest.raises(ValueError, match='give width and depth'):
        plan_network(dict(width=1.1))


def test_search_on_a_tiny_model_writes_its_table(make_tiny_config, tmp_path):
    config = make_tiny_config(max_epochs=1)
    out = tmp_path / 'grid'
    # 8 train images at batch 4: 2 iterations per candidate
    result = search_coefficients(
        config,
        str(out),
        epochs=1,
        alphas=[1.0, 1.2],
        betas=[1.1],
        gammas=[1.15, 1.3],
        phis=[2],
        runs=2,
        cfg_options={
            'train_dataloader.batch_size': 4,
            'model.backbone.frozen_stages': 1  # an ImageNet template's
        },
        log=lambda line: None)
    assert [r.coeffs.name for r in result.rows] == ['a1_b1.1_g1.3', 'a1.2_b1.1_g1.15']
    table = json.loads((out / 'grid.json').read_text())
    assert [r['name'] for r in table['rows']] == ['a1_b1.1_g1.3', 'a1.2_b1.1_g1.15']
    for row in table['rows']:
        assert row['image_size'] == 160 and row['bifpn_channels'] == 88
        assert row['gmacs'] > 0 and row['latency_ms'] > 0
        assert 0 <= row['bbox_mAP'] <= 1
    assert table['best'] == result.best.coeffs.name
    assert (out / 'grid.csv').read_text().splitlines()[0].startswith('name,alpha,beta,gamma')
    phi2 = Config.fromfile(str(out / 'phi2_best.py'))
    assert phi2.level['bifpn_channels'] == 120 and phi2.image_size in (192, 224)
    assert phi2.model.neck.num_stages == 5
    assert phi2.model.backbone.init_cfg is None
    assert phi2.model.backbone.frozen_stages == -1
    assert table['scaled'][0]['gmacs'] > max(r['gmacs'] for r in table['rows'])
    assert osp.isdir(out / 'runs' / 'a1_b1.1_g1.3')
    with pytest.raises(UserError, match='already exist'):
        search_coefficients(config, str(out), 1, [1.2], [1.1], [1.15], log=lambda line: None)


def test_bad_grids_are_one_line_errors(tmp_path, capsys):
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'search_coefficients.py')
    config = osp.join(REPO, 'configs', 'efficientdet', 'demo', 'efficientdet_d0_shapes_demo.py')
    assert tool_error(
        tool, [config, '--epochs', '1', '--alphas', '0.8', '--out-dir',
               str(tmp_path / 'x')],
        capsys) == 'error: coefficients must be >= 1 (scaling up), got [0.8]'
    assert not (tmp_path / 'x').exists()


@pytest.mark.parametrize('phis, match', [([-1], r'--phis -1: each phi must be in \(0, 8\]'),
                                         ([2, 2], 'given once')])
def test_later_stage_arguments_are_checked_before_any_training(make_tiny_config, tmp_path,
                                                               monkeypatch, phis, match):
    from mmdet_efficientdet.budget import grid_search
    trained = []
    monkeypatch.setattr(grid_search, 'train_and_evaluate', lambda cfg: trained.append(cfg))
    with pytest.raises(UserError, match=match):
        search_coefficients(
            make_tiny_config(),
            str(tmp_path / 'out'),
            1, [1.2], [1.1], [1.15],
            phis=phis,
            log=lambda line: None)
    assert trained == [] and not (tmp_path / 'out').exists()
