"""tools/pruning/prune_sensitivity.py and tools/pruning/prune.py end to end: the
pruned config + checkpoint work in every tool like any other model."""
from __future__ import annotations
import copy
import json
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmdet_efficientdet.pruning import prune_detector
from ..conftest import REPO
from ..process import tool_error, tool_output

RATIOS = ['s*.mid=0.5', 's4.out=0.5', 'bifpn=0.5', 'head=0.5']


def _run(args):
    """A tool's successful run, in this process; returns its stdout."""
    return tool_output(args[0], list(args[1:]))


@pytest.fixture
def error(capsys):
    """``error([tool, *argv])``: the tool's one-line refusal, in-process."""
    return lambda args: tool_error(args[0], list(args[1:]), capsys)


@pytest.fixture(scope='module')
def pruned(trained, tmp_path_factory):
    config, ckpt = trained
    out = tmp_path_factory.mktemp('pruned')
    stdout = _run([
        f'{REPO}/tools/pruning/prune.py', config, ckpt, '--out-dir',
        str(out), '--round-to', '8', '--finetune-epochs', '1', '--ratios'
    ] + RATIOS)
    return config, ckpt, str(out), stdout


def test_pruned_config_holds_the_widths_and_rebuilds_the_pruned_model(pruned):
    config, ckpt, out, stdout = pruned
    report = json.loads(open(osp.join(out, 'prune_report.json')).read())
    cfg = Config.fromfile(report['config'])
    widths = cfg.model.backbone.channels
    assert widths['mid'][5] == [336, 576, 576, 576]  # 672, 1152 halved
    assert widths['stage_out'][4] == 56 and cfg.model.neck.out_channels == 32
    assert cfg.model.bbox_head.feat_channels == 32
    assert cfg.model.neck.in_channels == [40, 56, 320]
    assert cfg.load_from == report['checkpoint']
    assert cfg.train_cfg.max_epochs == 1
    for before, after in report['changes'].values():
        assert after % 8 == 0 and after < before
    assert 'bifpn: 64 -> 32' in stdout
    # config + checkpoint == pruning the trained model in memory
    base_cfg = Config.fromfile(config)
    model = MODELS.build(base_cfg.model)
    load_checkpoint(model, ckpt, map_location='cpu', logger='silent')
    model.eval()
    prune_detector(model, {k: float(v) for k, v in (r.split('=') for r in RATIOS)}, 8)
    rebuilt = MODELS.build(cfg.model)
    load_checkpoint(rebuilt, report['checkpoint'], map_location='cpu', strict=True, logger='silent')
    rebuilt.eval()
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        want = model._forward(x)
        got = rebuilt._forward(x)
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        torch.testing.assert_close(g, w, rtol=0, atol=1e-5)
    assert report['params'] < 0.7 * sum(
        p.numel() for p in copy.deepcopy(MODELS.build(base_cfg.model)).parameters())


def test_pruned_model_runs_in_test_demo_inferencer_export_and_finetune(
        pruned, shapes_root, tmp_path):
    _, _, out, _ = pruned
    report = json.loads(open(osp.join(out, 'prune_report.json')).read())
    cfg_path, ckpt = report['config'], report['checkpoint']
    stdout = _run([f'{REPO}/tools/test.py', cfg_path, ckpt, '--work-dir', str(tmp_path / 'test')])
    assert 'bbox_mAP_copypaste' in stdout or 'coco/bbox_mAP' in stdout
    _run([
        f'{REPO}/tools/demo.py',
        osp.join(shapes_root, 'val'), cfg_path, ckpt, '--out-dir',
        str(tmp_path / 'demo')
    ])
    assert osp.isfile(tmp_path / 'demo' / '000001.png')
    _run([
        f'{REPO}/tools/deployment/export_onnx.py', cfg_path, ckpt, '--out',
        str(tmp_path / 'pruned.onnx'), '--verify'
    ])
    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(model=cfg_path, weights=ckpt, device='cpu', show_progress=False)
    result = inferencer(
        osp.join(shapes_root, 'val', '000001.png'), no_save_vis=True, no_save_pred=True)
    assert len(result['predictions'][0]['scores']) > 0
    # fine-tuning is an ordinary training run of the pruned config
    _run([f'{REPO}/tools/train.py', cfg_path, '--work-dir', str(tmp_path / 'ft')])
    log = open(next((tmp_path / 'ft').rglob('*.log'))).read()
    assert f'Load checkpoint from {ckpt}' in log
    finetuned = torch.load(tmp_path / 'ft' / 'epoch_1.pth', map_location='cpu', weights_only=True)
    assert finetuned['state_dict']['neck.stages.0.nodes.0.conv.pointwise_conv'
                                   '.conv.weight'].shape[0] == 32


def test_sensitivity_table_and_a_budget_from_it(trained, tmp_path, error):
    config, ckpt = trained
    prefix = str(tmp_path / 'sens')
    _run([
        f'{REPO}/tools/pruning/prune_sensitivity.py', config, ckpt, '--out', prefix, '--groups',
        'head', 'bifpn', 's5.b0.mid', '--ratios', '0.5', '0.75', '--proxy', '2', '--runs', '2',
        '--image-size', '128', '--round-to', '8'
    ])
    rows = json.loads(open(prefix + '.json').read())
    assert [r['group'] for r in rows] == ['-'] + [  # in --groups order
        g for g in ('head', 'bifpn', 's5.b0.mid') for _ in range(2)
    ]
    assert rows[0]['latency_ms'] > 0 and rows[0]['base_latency_ms'] > 0
    head = [r for r in rows if r['group'] == 'head']
    assert [r['kept'] for r in head] == [32, 16]
    assert head[1]['gmacs_saved'] > head[0]['gmacs_saved'] > 0
    assert open(prefix + '.csv').readline().startswith('group,kind,channels')
    assert open(prefix + '.png', 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    out = tmp_path / 'budget'
    stdout = _run([
        f'{REPO}/tools/pruning/prune.py', config, ckpt, '--out-dir',
        str(out), '--flops-ratio', '0.9', '--sensitivity', prefix + '.json', '--round-to', '8'
    ])
    report = json.loads(open(out / 'prune_report.json').read())
    assert report['metric'] == 'flops' and report['goal'] == 0.9
    # the reported ratio is the search's own measurement, stored once
    assert report['measured_ratio'] == pytest.approx(report['macs_ratio'])
    assert report['measured_ratio'] <= 0.9 and '(goal 0.9)' in stdout
    # the same table again into the same prefix: refused, nothing replaced
    before = open(prefix + '.json').read()
    assert 'already exist' in error([
        f'{REPO}/tools/pruning/prune_sensitivity.py', config, ckpt, '--out', prefix, '--groups',
        'head', '--ratios', '0.5', '--no-latency'
    ])
    assert open(prefix + '.json').read() == before
    manifest = json.loads(open(tmp_path / 'manifest.json').read())
    assert sorted(manifest['files']) == ['sens.csv', 'sens.json', 'sens.png']


def test_bad_targets_are_one_line_errors(trained, tmp_path, error):
    config, ckpt = trained
    tool = f'{REPO}/tools/pruning/prune.py'
    common = [config, ckpt, '--out-dir', str(tmp_path)]
    assert 'must be in (0, 1)' in error([tool] + common +
                                        ['--latency-ratio', '0', '--sensitivity', config])
    assert 'must be in (0, 1)' in error([tool] + common +
                                        ['--flops-ratio', '1.0', '--sensitivity', config])
    assert 'pruning ratio 1.0 must be in [0, 1)' in error([tool] + common +
                                                          ['--ratios', 'head=1.0'])
    assert "unknown channel group 's9.out'" in error([tool] + common + ['--ratios', 's9.out=0.5'])
    assert 'needs --sensitivity' in error([tool] + common + ['--latency-ratio', '0.5'])
    assert "expected GROUP=RATIO" in error([tool] + common + ['--ratios', 'head'])


def test_scalpel_check_compares_at_one_parameter_count(trained, tmp_path):
    config, ckpt = trained
    out = tmp_path / 'scalpel.json'
    stdout = _run([
        f'{REPO}/tools/dev/scalpel.py', config, ckpt, '--image-size', '128', '--runs', '1',
        '--ratio', '0.5', '--round-to', '16', '--no-map', '--json',
        str(out)
    ])
    rows = json.loads(out.read_text())['rows']
    assert list(rows) == [
        'dense', 'mask (unstructured)', 'structured, 16-aligned', 'structured, unaligned'
    ]
    aligned = rows['structured, 16-aligned']['nonzero_params']
    for name in ('mask (unstructured)', 'structured, unaligned'):
        assert abs(rows[name]['nonzero_params'] - aligned) <= 0.005 * aligned
    dense = rows['dense']
    assert rows['mask (unstructured)']['params'] == dense['params']
    assert rows['mask (unstructured)']['gmacs'] < dense['gmacs']
    assert rows['structured, 16-aligned']['gmacs'] < dense['gmacs']
    assert 0 < rows['structured, unaligned']['ratio'] < 0.95
    assert 'Scalpel check' in stdout and '128x128, 2 threads' in stdout


def test_compare_models_names_bad_arguments(trained, tmp_path, error):
    config, ckpt = trained
    tool = f'{REPO}/tools/analysis_tools/compare_models.py'
    assert 'expected NAME=CONFIG:CKPT' in error([tool, config])
    assert 'not found' in error([tool, f'a={config}:{tmp_path}/no.pth'])
    out = tmp_path / 'cmp.json'
    assert "'a' is given twice" in error(
        [tool, f'a={config}:{ckpt}', f'a={config}:{ckpt}', '--no-map'])
    _run([
        tool, f'a={config}:{ckpt}', f'b={config}:{ckpt}', '--image-size', '128', '--runs', '1',
        '--no-map', '--json',
        str(out)
    ])
    rows = json.loads(out.read_text())['rows']
    assert rows['a']['params'] == rows['b']['params'] and \
        rows['a']['eager_x'] == 1.0
    assert 'already exist' in error(  # checked before any measurement
        [tool, f'a={config}:{ckpt}', '--no-map', '--json',
         str(out)])
    assert 'is an input of this run' in error(
        [tool, f'a={config}:{ckpt}', '--no-map', '--json', ckpt])


def test_prune_refuses_an_earlier_run_and_bad_inputs(pruned, tmp_path, error):
    config, ckpt, out, _ = pruned
    tool = f'{REPO}/tools/pruning/prune.py'
    report = open(osp.join(out, 'prune_report.json')).read()
    # into the earlier run's folder: refused, every file kept
    assert 'already exist' in error([tool, config, ckpt, '--out-dir', out, '--ratios', 'head=0.25'])
    assert open(osp.join(out, 'prune_report.json')).read() == report
    manifest = json.loads(open(osp.join(out, 'manifest.json')).read())
    assert sorted(manifest['files']) == sorted(
        [osp.basename(json.loads(report)['config']), 'prune_report.json', 'pruned.pth'])
    # the output would replace an input (the checkpoint's own folder)
    assert 'is an input of this run' in error([
        tool, config,
        osp.join(out, 'pruned.pth'), '--out-dir', out, '--ratios', 'head=0.25', '--overwrite'
    ])
    common = [
        tool, config, ckpt, '--out-dir',
        str(tmp_path / 'o'), '--flops-ratio', '0.5', '--sensitivity'
    ]
    broken = tmp_path / 'broken.json'
    broken.write_text('[{"group": ')
    assert f'{broken}: not valid JSON' in error(common + [str(broken)])
    shaped = tmp_path / 'shaped.json'
    shaped.write_text('{"rows": []}')
    assert 'expected a JSON list, got dict' in error(common + [str(shaped)])
    rows = tmp_path / 'rows.json'
    rows.write_text('[{"group": "-"}, {"group": "head"}]')
    assert 'rows lack' in error(common + [str(rows)])
    assert not (tmp_path / 'o').exists()
    assert "--round-to: '2.5' is not an integer" in error([
        tool, config, ckpt, '--out-dir',
        str(tmp_path), '--round-to', '2.5', '--ratios', 'head=0.5'
    ])
    assert '0 must be >= 1' in error([
        tool, config, ckpt, '--out-dir',
        str(tmp_path), '--ratios', 'head=0.5', '--finetune-epochs', '0'
    ])
