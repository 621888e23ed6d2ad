"""The attainable-peak probe measures positive rates on the runtimes it is
asked for, and shares are taken against a path's own runtime."""
from mmdet_efficientdet.measure.peak import Peak, attainable_peak, peak_share


def test_probe_measures_eager_and_the_asked_targets():
    peak = attainable_peak(threads=1, runs=1, targets=['ort-fp32', 'ort-int8'])
    assert set(peak.gflops) == {'eager', 'ort-fp32', 'ort-int8'}
    assert all(v > 0 for v in peak.gflops.values())
    assert peak.copy_gb_s > 0 and peak.threads == 1


def test_share_is_against_the_paths_own_runtime():
    peak = Peak(gflops={'eager': 100.0, 'ort-int8': 400.0})
    assert peak_share(50.0, 'eager', peak) == 0.5
    assert peak_share(50.0, 'fused', peak) == 0.5  # fused PyTorch: the eager matmul
    assert peak_share(100.0, 'ort-int8', peak) == 0.25
    assert peak_share(10.0, 'ov-int8', peak) is None  # not probed
