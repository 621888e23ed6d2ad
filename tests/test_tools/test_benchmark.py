"""The benchmark runs end to end and reports every path (no timing asserts)."""
import json

from ..conftest import REPO, requires_refenv
from ..process import tool_error, tool_output

#: A short run: every number measured once or twice.
SHORT = [
    '--runs', '2', '--warmup', '1', '--batch', '2', '--train-batch', '1', '--train-runs', '1',
    '--no-memory'
]


def _benchmark(*args) -> str:
    """A successful benchmark run, in this process (the memory runs, the
    only processes it starts, are off); what it printed."""
    return tool_output(f'{REPO}/tools/analysis_tools/benchmark.py', [*SHORT, *args])


@requires_refenv
def test_a_trained_checkpoint_against_effdet_with_map_and_peak_share(tmp_path, trained):
    config, ckpt = trained
    out = tmp_path / 'bench.json'
    # both runtimes, both precisions (the rest: tests/test_deployment, et: its own test)
    paths = ['eager', 'fused', 'ort-fp32', 'ov-int8']
    printed = _benchmark('--config', config, '--checkpoint', ckpt, '--compare-effdet', 'd0',
                         '--map', '--targets', *paths, '--calib-images', '2', '--json', str(out))
    assert 'ratios ours/effdet: eager latency' in printed
    assert 'peer: effdet tf_efficientdet_d0 at 512x512' in printed
    report = json.loads(out.read_text())
    assert report['subject'] == 'tiny' and report['checkpoint'] == ckpt
    assert report['image_size'] == [128, 128] and report['peer_image_size'] == 512
    results = report['results']
    assert set(results) == {
        'ours eager', 'ours fused', 'ours ort-fp32', 'ours ov-int8', 'effdet eager'
    }
    assert results['ours eager']['train_step_ms'] > 0
    assert results['effdet eager']['train_step_ms'] > 0
    # effdet has its own weights here: it is timed, not compared
    assert set(report['diffs']) == set(results) - {'ours eager', 'effdet eager'}
    assert max(v for k, v in report['diffs'].items() if 'int8' not in k) < 1e-3
    # the peak probe ran on every path's own runtime; every share is a share
    peak = report['peak']
    assert set(peak['gflops']) == {'eager', 'ort-fp32', 'ov-int8'}
    assert min(peak['gflops'].values()) > 0 and peak['copy_gb_s'] > 0
    shares = {k: v['peak_share'] for k, v in results.items() if 'peak_share' in v}
    assert set(shares) == set(results) - {'effdet eager'}
    assert all(0 < v <= 100 for v in shares.values()), shares
    # every path of the checkpoint scored on its val set; fp32 ones agree
    maps = {k: v['mAP'] for k, v in results.items() if 'mAP' in v}
    assert set(maps) == set(results) - {'effdet eager'}
    for name in ('ours fused', 'ours ort-fp32'):
        assert abs(maps[name] - maps['ours eager']) <= 0.1, maps


@requires_refenv
def test_a_level_gets_effdets_weights_and_agrees(tmp_path):
    out = tmp_path / 'bench.json'
    _benchmark('--level', 'd0', '--image-size', '128', '--train-batch', '2', '--compare-effdet',
               '--no-deployed', '--no-peak', '--json', str(out))
    report = json.loads(out.read_text())
    assert report['subject'] == 'd0' and report['peer_level'] == 'd0'
    assert set(report['results']) == {'ours eager', 'ours fused', 'ours ort-fp32', 'effdet eager'}
    # same weights through the converter: effdet computes our function
    assert report['diffs']['effdet eager'] < 1e-3
    assert 0 < report['float32_noise_floor'] < 1e-3
    assert report['peak'] is None


def test_bad_arguments_are_one_line(capsys):
    for args, words in ((['--config', 'missing.py', '--checkpoint',
                          'x.pth'], "'missing.py' not found"), (['--level', 'd9'],
                                                                '--level d9: no ported config')):
        tool = f'{REPO}/tools/analysis_tools/benchmark.py'
        assert words in tool_error(tool, SHORT + args, capsys)
