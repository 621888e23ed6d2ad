"""The benchmark runs end to end and reports every path (no timing asserts)."""
import json
import subprocess
import sys

from ..conftest import REPO, requires_refenv


@requires_refenv
def test_benchmark_runs_and_compares_with_effdet(tmp_path, trained):
    config, ckpt = trained
    out = tmp_path / 'bench.json'
    proc = subprocess.run([
        sys.executable, f'{REPO}/tools/analysis_tools/benchmark.py', '--level', 'd0',
        '--image-size', '256', '--runs', '2', '--warmup', '1', '--batch', '2', '--train-batch', '1',
        '--train-runs', '1', '--compare-effdet', '--no-memory', '--json',
        str(out), '--calib-images', '2', '--map-config', config, '--map-checkpoint', ckpt
    ],
                          capture_output=True,
                          text=True,
                          timeout=600,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'ratios ours/effdet: eager latency' in proc.stdout
    report = json.loads(out.read_text())
    results = report['results']
    assert set(results) == {
        'ours eager', 'effdet eager', 'ours fused', 'ours ort-fp32', 'ours ort-int8',
        'ours ov-fp32', 'ours ov-int8'
    }
    assert results['ours eager']['train_step_ms'] > 0
    assert results['effdet eager']['img_per_s'] > 0
    # the optimised paths and effdet agree with our eager model, and the
    # float32 noise floor they are printed against is measured (not zero)
    assert set(report['diffs']) == set(results) - {'ours eager'}
    diffs = report['diffs']
    assert max(v for k, v in diffs.items() if 'int8' not in k) < 1e-3
    assert 0 < diffs['ours ort-int8'] < 1 and 0 < diffs['ours ov-int8'] < 1
    # every path of the trained checkpoint scored on its val set; the fp32
    # ones equal the eager model's mAP
    maps = {k: v['mAP'] for k, v in results.items() if 'mAP' in v}
    assert set(maps) == set(results) - {'effdet eager'}
    for name in ('ours fused', 'ours ort-fp32', 'ours ov-fp32'):
        assert abs(maps[name] - maps['ours eager']) <= 0.1, maps
    assert 0 < report['float32_noise_floor'] < 1e-3
    assert 'float32 noise floor' in proc.stdout
