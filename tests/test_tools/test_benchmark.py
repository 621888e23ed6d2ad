"""The benchmark runs end to end and reports every path (no timing asserts)."""
import json
import subprocess
import sys

from ..conftest import REPO
from ..conftest import requires_refenv


@requires_refenv
def test_benchmark_runs_and_compares_with_effdet(tmp_path):
    out = tmp_path / 'bench.json'
    proc = subprocess.run(
        [sys.executable, f'{REPO}/tools/analysis/benchmark.py', '--level',
         'd0', '--image-size', '256', '--runs', '2', '--warmup', '1',
         '--batch', '2', '--train-batch', '1', '--train-runs', '1',
         '--compare-effdet', '--no-memory', '--json', str(out)],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'ratios ours/effdet: eager latency' in proc.stdout
    report = json.loads(out.read_text())
    results = report['results']
    assert set(results) == {'ours eager', 'effdet eager',
                            'ours fused+channels_last', 'ours onnxruntime'}
    assert results['ours eager']['train_step_ms'] > 0
    assert results['effdet eager']['img_per_s'] > 0
    # the optimised paths and effdet agree with our eager model, and the
    # float32 noise floor they are printed against is measured (not zero)
    assert set(report['diffs']) == set(results) - {'ours eager'}
    assert max(report['diffs'].values()) < 1e-3
    assert 0 < report['float32_noise_floor'] < 1e-3
    assert 'float32 noise floor' in proc.stdout
