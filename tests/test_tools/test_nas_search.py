"""tools/nas/search.py: a tiny supernet searched on the eager path end to
end; refusals are one line before any work."""
import json
import os
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdet_efficientdet.measure import INFERENCE_PATHS
from tests.conftest import REPO
from tests.process import tool_error, tool_output

TOOL = osp.join(REPO, 'tools', 'nas', 'search.py')


@pytest.fixture
def supernet_ckpt(supernet_config, tmp_path):
    cfg = Config.fromfile(supernet_config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path / 'supernet.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_search_writes_a_plain_config_and_checkpoint(supernet_config, supernet_ckpt, tmp_path):
    from mmdet_efficientdet.models.search_space import SearchSpace
    from mmdet_efficientdet.nas import LatencyTable, block_keys
    space = SearchSpace.from_config(Config.fromfile(supernet_config).model.search_space)
    # a hand table (measuring one is tested in test_nas/test_latency_table.py)
    table = tmp_path / 'table.json'
    costs = {k: 1.0 for k in block_keys(space)}
    hand = LatencyTable('eager', {
        96: 12.0,
        128: 20.0
    }, {
        96: 8.0,
        128: 15.0
    }, {
        96: costs,
        128: costs
    })
    table.write_text(json.dumps(hand.to_dict()))
    out = str(tmp_path / 'search')
    stdout = tool_output(TOOL, [
        supernet_config, supernet_ckpt, '--out-dir', out, '--latency-ratio', '1.5', '--target',
        'eager', '--cycles', '2', '--population', '3', '--check-subnets', '2', '--runs', '1',
        '--calib-batches', '1', '--latency-table',
        str(table), '--finetune-epochs', '7'
    ])
    assert 'chosen k3e1d1-' in stdout and 'latency table on eager' in stdout
    result = json.load(open(osp.join(out, 'search.json')))
    assert len(result['candidates']) == 5 and result['table_error']['count'] == 2
    # the check run also timed the reference of every size: the drift-scaled error
    assert set(result['table_error']['drift']) == {'96', '128'}
    assert 'scaled by the reference measured in the same run' in stdout
    # the finalists are held to R x the parent measured in their own run,
    # the evolution to R x the parent's prediction
    assert result['limit_ms'] == pytest.approx(1.5 * result['parent']['measured_ms'])
    assert result['search_limit_ms'] == pytest.approx(1.5 * result['parent']['predicted_ms'])
    assert [r['choice']['image_size'] for r in result['parent_sizes']] == [96]  # Lite0 at 96
    # every phase's wall time, the reused table's ~0
    assert list(result['seconds']) == ['latency_table', 'direct_check', 'evolution', 'finalists']
    assert result['seconds']['latency_table'] < 1 and result['seconds']['evolution'] > 0
    assert 'wall time: latency table ' in stdout
    assert all(
        osp.isfile(osp.join(out, f))
        for f in ('latency_table.json', 'pareto.png', 'subnet_config.py', 'subnet.pth'))
    # staged and committed as one folder: nothing is left beside it
    assert [n for n in os.listdir(tmp_path) if n.startswith('.')] == []
    sub = Config.fromfile(osp.join(out, 'subnet_config.py'))
    assert sub.model.type == 'EfficientDet' and sub.load_from == osp.join(out, 'subnet.pth')
    # written for the fine-tune asked for (the schedule's shape: test_config_utils.py)
    assert sub.train_cfg.max_epochs == sub.max_epochs == 7
    plain = MODELS.build(sub.model)
    state = torch.load(sub.load_from, map_location='cpu')['state_dict']
    plain.load_state_dict(state, strict=True)  # the plain config takes every tensor
    assert torch.load(sub.load_from, map_location='cpu')['meta']['search_choice'] == \
        result['chosen']['choice']


def test_refusals_are_one_line(supernet_config, supernet_ckpt, tmp_path, capsys):
    from mmdet_efficientdet.models.search_space import SearchSpace
    from mmdet_efficientdet.nas import LatencyTable, block_keys
    space = SearchSpace.from_config(Config.fromfile(supernet_config).model.search_space)
    costs = {k: 0.0 for k in block_keys(space)}
    table = tmp_path / 'table.json'
    table.write_text(
        json.dumps(
            LatencyTable('ort-fp32', {
                96: 50.0,
                128: 60.0
            }, {
                96: 50.0,
                128: 60.0
            }, {
                96: costs,
                128: costs
            }).to_dict()))
    other = tmp_path / 'other.json'
    other.write_text(json.dumps(dict(json.loads(table.read_text()), costs={'96': {}, '128': {}})))
    older = tmp_path / 'older.json'
    older.write_text(json.dumps(dict(path='ort-fp32', reference={'96': 1.0}, added={'96': {}})))
    args = [supernet_config, supernet_ckpt, '--out-dir', str(tmp_path / 'new')]
    assert tool_error(TOOL, args + ['--latency-ms', '5', '--target', 'tpu'], capsys) == \
        "error: --target 'tpu': choose from " + str(list(INFERENCE_PATHS))
    assert tool_error(TOOL, [supernet_config, supernet_ckpt, '--out-dir', str(tmp_path),
                             '--latency-ms', '5'], capsys) == \
        f'error: --out-dir {tmp_path}: exists; give a new folder (nothing is overwritten)'
    assert tool_error(TOOL, args + ['--latency-ms', '5', '--target', 'ort-fp32',
                                    '--latency-table', str(table)], capsys) == \
        "error: latency target 5.00 ms is below the smallest sub-network's 50.00 ms on ort-fp32"
    assert tool_error(TOOL, args + ['--latency-ms', '5', '--target', 'ort-fp32',
                                    '--latency-table', str(other)], capsys) == \
        f'error: --latency-table {other}: its blocks are not those of this search space; ' \
        f'measure it again'
    assert tool_error(TOOL, args + ['--latency-ms', '5', '--target', 'ort-fp32',
                                    '--latency-table', str(older)], capsys) == \
        f"error: --latency-table {older}: latency table: expected the keys inference_path, " \
        f"reference, base, costs; got ['added', 'inference_path', 'reference'] (an older " \
        f"table: measure it again)"
    assert not osp.exists(tmp_path / 'new')  # nothing written
