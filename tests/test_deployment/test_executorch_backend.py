"""The edge runtime (ExecuTorch / XNNPACK): the fp32 program computes the
PyTorch model's outputs; without ExecuTorch its targets are not offered and
asking for one is one line."""
import pytest
import torch

from mmdet_efficientdet.deployment import (ExecuTorchBackend, deploy_model, deploy_targets,
                                           load_backend, target_backend)
from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.utils import load_trained

requires_executorch = pytest.mark.skipif(
    not ExecuTorchBackend.available(), reason='ExecuTorch missing: make edge')


@requires_executorch
def test_fp32_program_equals_the_pytorch_model(trained, tmp_path):
    _, model = load_trained(*trained)
    # 256 px: XNNPACK needs the coarsest map (P7) to be at least 2x2
    files = deploy_model(model, str(tmp_path), (256, 256), ['et-fp32'], log=lambda line: None)
    assert files == {'et-fp32': str(tmp_path / 'model_fp32.pte')}
    backend = load_backend(files['et-fp32'])
    assert backend.input_hw == (256, 256)
    assert backend.output_names == [f'cls_{i}' for i in range(5)] + [f'box_{i}' for i in range(5)]
    x = torch.randn(2, 3, 256, 256)  # a batch of 2 runs image by image
    with torch.no_grad():
        cls_scores, bbox_preds = model._forward(x)
    got = backend(x)
    want = list(cls_scores) + list(bbox_preds)
    assert [tuple(g.shape) for g in got] == [tuple(w.shape) for w in want]
    errors = [float((g - w).abs().max() / w.abs().max()) for g, w in zip(got, want)]
    assert max(errors) < 5e-3, errors  # fp32 rounding, as the ONNX files


def test_without_executorch_its_targets_are_not_offered(monkeypatch):
    monkeypatch.setattr(ExecuTorchBackend, 'available', classmethod(lambda cls: False))
    assert not any(t.startswith('et-') for t in deploy_targets())
    with pytest.raises(UserError, match='pip install -r requirements/edge.txt'):
        target_backend('et-fp32')


def test_exported_copy_gets_rank4_fusion_weights_with_the_same_outputs():
    from mmdet_efficientdet.deployment.executorch_backend import _rank4_fusions, _Rank4Fusion
    from mmdet_efficientdet.models.layers.weighted_fusion import WeightedFusion
    neck = torch.nn.ModuleDict(
        dict(
            fast=WeightedFusion(2),
            soft=torch.nn.ModuleList([WeightedFusion(3, 'softmax')]),
            plain=WeightedFusion(2, 'sum')))
    with torch.no_grad():
        neck['fast'].weight.copy_(torch.tensor([0.3, 2.0]))
        neck['soft'][0].weight.copy_(torch.tensor([1.0, -1.0, 0.5]))
    maps = [torch.randn(1, 4, 3, 3) for _ in range(3)]
    want = [neck['fast'](maps[:2]), neck['soft'][0](maps), neck['plain'](maps[:2])]
    swapped = _rank4_fusions(neck)
    assert isinstance(swapped['fast'], _Rank4Fusion) and isinstance(swapped['soft'][0],
                                                                    _Rank4Fusion)
    got = [swapped['fast'](maps[:2]), swapped['soft'][0](maps), swapped['plain'](maps[:2])]
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=0, atol=1e-6)
    # the stand-in keeps the parameters under the same module
    assert swapped['fast'].fusion.weight.tolist() == pytest.approx([0.3, 2.0])


@requires_executorch
def test_a_size_xnnpack_cannot_run_is_refused_before_export(trained, tmp_path):
    """At 128 px the tiny D0's P7 is 1x1, which XNNPACK cannot lay out: one
    line before anything is written (it used to write a file that failed
    when run), and the benchmark's mAP pass leaves that target out."""
    from mmdet_efficientdet.benchmarking.run import evaluate_paths
    from mmdet_efficientdet.deployment import size_problems
    _, model = load_trained(*trained)
    assert size_problems(model, (256, 256), ['ort-fp32', 'et-fp32']) == {}
    assert list(size_problems(model, (128, 128), ['ort-fp32', 'et-fp32'])) == ['et-fp32']
    with pytest.raises(
            UserError,
            match='et-fp32 at 128x128: XNNPACK needs the coarsest output '
            'map at least 2x2, here 1x1'):
        deploy_model(model, str(tmp_path / 'out'), (128, 128), ['et-fp32'], log=lambda line: None)
    assert not (tmp_path / 'out').exists()
    lines = []
    scores = evaluate_paths(*trained, ['et-fp32'], 1, 1, log=lines.append)
    assert set(scores) == {'ours eager', 'ours fused'}
    assert lines == [
        "et-fp32: no mAP at the config's 128x128: XNNPACK needs the coarsest output "
        'map at least 2x2, here 1x1: export at twice the size or more '
        '(--image-size)'
    ]
