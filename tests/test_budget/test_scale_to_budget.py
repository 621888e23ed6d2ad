"""Scale to a budget: candidates, the search, the run and its one-line errors."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmdet_efficientdet.budget import (Candidate, candidate_config, family_candidates,
                                       largest_under_budget, scale_to_budget)
from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.scaling import compound_level, get_efficientdet_scale
from ..conftest import CONFIG_DIR, REPO
from ..process import tool_error

BASE = osp.join(CONFIG_DIR, 'efficientdet_d0_8xb16-300e_coco.py')


def test_family_is_ordered_and_fractional_rows_follow_the_rule():
    d = family_candidates(['d'], phi_step=0.5)
    names = [c.name for c in d]
    assert names[:4] == ['d0', 'phi0.5', 'd1', 'phi1.5']
    assert names[-3:] == ['phi6.5', 'd7', 'd7x']
    assert [c.order for c in d] == sorted(c.order for c in d)
    half = d[names.index('phi1.5')]
    assert half.level == {'phi': 1.5} and half.coco_ap_val is None
    assert half.image_size == compound_level(1.5).image_size == 768
    assert d[names.index('d3')].coco_ap_val == 47.2
    lite = family_candidates(['lite'])
    assert [c.name for c in lite] == ['lite0', 'lite1', 'lite2', 'lite3', 'lite3x', 'lite4']
    with pytest.raises(UserError, match='choose from'):
        family_candidates(['yolo'])
    small = family_candidates(['d', 'lite', 'v2'], phi_step=0.5, max_phi=1)
    assert [c.name for c in small] == ['d0', 'phi0.5', 'd1', 'lite0', 'lite1', 'v2-b0']
    for bad in (-1, 9):
        with pytest.raises(UserError, match=f'--max-phi {bad} must be in'):
            family_candidates(['d'], max_phi=bad)


def test_candidate_config_names_the_level_as_data(tmp_path):
    cand = family_candidates(['d'], phi_step=0.25)[1]  # phi 0.25
    path = tmp_path / 'c.py'
    path.write_text(candidate_config(cand, BASE))
    cfg = Config.fromfile(str(path))
    scale = get_efficientdet_scale(dict(phi=0.25))
    assert cfg.image_size == scale.image_size == 512
    assert cfg.model.neck.out_channels == scale.bifpn_channels == 72
    assert cfg.model.bbox_head.stacked_convs == scale.head_repeats


def _family(costs):
    return [Candidate(f'c{i}', 'x', float(i), f'c{i}', 128) for i in range(len(costs))]


@pytest.mark.parametrize('budget, chosen', [(0.5, None), (1, 'c0'), (4.5, 'c3'), (9, 'c8'),
                                            (100, 'c19')])
def test_search_finds_the_boundary_measuring_few(budget, chosen):
    costs = [1 + i for i in range(20)]  # c_i costs i + 1
    family = _family(costs)
    measured = []

    def cost(c):
        measured.append(c.name)
        return costs[int(c.name[1:])]

    found = largest_under_budget(family, cost, budget)
    assert (found.chosen.name if found.chosen else None) == chosen
    if found.chosen is not None:  # its own measurement is within budget
        assert found.measured[found.chosen.name] <= budget
    if found.above is not None:
        assert found.measured[found.above.name] > budget
    assert len(measured) == len(set(measured)) <= 10  # 20 candidates


def test_run_picks_the_largest_within_the_budget_and_writes_it(tmp_path):
    out = tmp_path / 'budget'
    result = scale_to_budget(
        6.0, 'params', BASE, str(out), families=['lite'], log=lambda line: None)
    # Lite2 has 5.25 M params (90 classes), Lite3 8.35 M
    assert result.chosen.name == 'lite2'
    assert result.chosen_cost <= 6.0
    assert result.chosen_cost == pytest.approx(5.247, abs=0.01)
    lite = result.families[0]
    assert lite.above.name == 'lite3' and lite.measured['lite3'] > 6.0
    report = json.loads((out / 'budget.json').read_text())
    assert report['chosen'] == 'lite2' and report['budget'] == 6.0
    assert all(r['within_budget'] == (r['cost'] <= 6.0) for r in report['rows'])
    assert (out / 'budget.png').read_bytes()[:4] == b'\x89PNG'
    cfg = Config.fromfile(str(out / 'lite2.py'))
    assert cfg.level == 'lite2' and cfg.image_size == 448
    manifest = json.loads((out / 'manifest.json').read_text())
    assert sorted(manifest['files']) == ['budget.csv', 'budget.json', 'budget.png', 'lite2.py']
    with pytest.raises(UserError, match='already exist'):
        scale_to_budget(6.0, 'params', BASE, str(out), families=['lite'])


def test_bad_budgets_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(UserError, match='no model meets params <= 0.5'):
        scale_to_budget(
            0.5, 'params', BASE, str(tmp_path / 'a'), families=['lite'], log=lambda line: None)
    with pytest.raises(UserError, match='needs one of'):
        scale_to_budget(30, 'latency', BASE, str(tmp_path / 'b'), families=['lite'])
    assert not (tmp_path / 'a').exists()
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'scale_to_budget.py')
    assert tool_error(tool,
                      ['--budget', '0', '--metric', 'gflops', '--out-dir',
                       str(tmp_path / 'c')], capsys) == 'error: --budget 0 must be > 0'


def test_the_choice_is_by_published_ap_where_every_winner_has_one():
    from mmdet_efficientdet.budget.budget_run import choose_winner
    lite = {c.name: c for c in family_candidates(['lite'])}
    d = {c.name: c for c in family_candidates(['d'], phi_step=0.5)}
    assert lite['lite3'].coco_ap_val == 38.77 and lite['lite3'].coco_ap_val_int8 == 38.42
    # ORT fp32 <= 150 ms (README): D1 (40.2 AP, 6.21 GMACs) over Lite3 (38.77, 7.64)
    gmacs = {'d1': 6.21, 'lite3': 7.64, 'phi1.5': 9.0}
    chosen, by = choose_winner([d['d1'], lite['lite3']], gmacs)
    assert chosen.name == 'd1' and by == 'published COCO val AP'
    chosen, by = choose_winner([d['d1'], lite['lite3']], gmacs, int8=True)
    assert chosen.name == 'd1' and by == 'published COCO val AP (int8)'
    # a fractional phi has no published AP: multiply-adds decide, and say so
    chosen, by = choose_winner([d['phi1.5'], lite['lite3']], gmacs)
    assert chosen.name == 'phi1.5' and by == 'multiply-adds (no published AP for phi1.5)'
