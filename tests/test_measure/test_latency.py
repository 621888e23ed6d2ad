"""Every inference path of the measuring layer computes the model's raw
outputs; unknown paths are one line."""
import pytest
import torch

from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.measure import INFERENCE_PATHS, inference_runners, measure_latencies
from mmdet_efficientdet.models.trained import load_trained


def test_fused_and_ort_fp32_runners_equal_the_eager_model(trained, tmp_path):
    _, model = load_trained(*trained)
    runners = inference_runners(model, (128, 128), ['eager', 'fused', 'ort-fp32'], str(tmp_path), 1)
    assert list(runners) == ['eager', 'fused', 'ort-fp32']
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        want = runners['eager'](x)
        for path in ('fused', 'ort-fp32'):
            got = runners[path](x)
            assert len(got[0]) == len(want[0]) == 5  # class maps of P3..P7
            for g, w in zip(got[0] + got[1], want[0] + want[1]):
                assert float((torch.as_tensor(g) - w).abs().max() / w.abs().max()) < 5e-3


def test_paths_and_refusals(trained, tmp_path):
    assert INFERENCE_PATHS[:2] == ('eager', 'fused') and 'ov-int8' in INFERENCE_PATHS
    _, model = load_trained(*trained)
    ms = measure_latencies({'a': (model, 128), 'b': (model, 256)}, 'fused', str(tmp_path), 1, 2)
    assert set(ms) == {'a', 'b'} and all(v > 0 for v in ms.values())
    with pytest.raises(UserError, match="--target 'trt': choose from"):
        inference_runners(model, (128, 128), ['trt'], str(tmp_path))
