"""The edge runtime (ExecuTorch / XNNPACK): the fp32 program computes the
PyTorch model's outputs; without ExecuTorch its targets are not offered and
asking for one is one line."""
import pytest
import torch

from mmdet_efficientdet.deployment import (ExecuTorchRuntime, deploy_model, deploy_targets,
                                           open_deployed, target_runtime)
from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.models.trained import load_trained

requires_executorch = pytest.mark.skipif(
    not ExecuTorchRuntime.available(), reason='ExecuTorch missing: make edge')

#: EfficientDet-Lite0's stages with one block each, a 1-stage 16-channel
#: BiFPN and a 1-conv head: the detector's graph (fusions, per-level head,
#: folded BN) at a third of the tiny D0's XNNPACK lowering time.
EDGE_BLOCKS = [
    'ds_r1_k3_s1_e1_c16', 'ir_r1_k3_s2_e6_c24', 'ir_r1_k5_s2_e6_c40', 'ir_r1_k3_s2_e6_c80',
    'ir_r1_k5_s1_e6_c112', 'ir_r1_k5_s2_e6_c192', 'ir_r1_k3_s1_e6_c320'
]


@pytest.fixture
def edge_detector():
    """An eval-mode Lite0-like detector with BN statistics of random images."""
    from mmdet.registry import MODELS
    from mmengine.config import Config

    from ..conftest import D0_CONFIG
    model = Config.fromfile(D0_CONFIG).model
    model.backbone.update(
        arch='lite0',
        blocks=EDGE_BLOCKS,
        init_cfg=None,
        drop_path_rate=0.0,
        act_cfg=dict(type='ReLU6'))
    model.neck.update(out_channels=16, num_stages=1)
    model.bbox_head.update(in_channels=16, feat_channels=16, stacked_convs=1, num_classes=3)
    torch.manual_seed(0)
    detector = MODELS.build(model)
    for module in detector.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # running statistics = the mean over the batches
    with torch.no_grad():
        for _ in range(2):
            detector._forward(torch.randn(2, 3, 256, 256))
    return detector.eval()


@requires_executorch
def test_fp32_program_equals_the_pytorch_model(edge_detector, tmp_path):
    model = edge_detector
    # 256 px: XNNPACK needs the coarsest map (P7) to be at least 2x2
    files = deploy_model(model, str(tmp_path), (256, 256), ['et-fp32'], log=lambda line: None)
    assert files == {'et-fp32': str(tmp_path / 'model_fp32.pte')}
    backend = open_deployed(files['et-fp32'])
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
    monkeypatch.setattr(ExecuTorchRuntime, 'available', classmethod(lambda cls: False))
    assert not any(t.startswith('et-') for t in deploy_targets())
    with pytest.raises(UserError, match='pip install -r requirements/edge.txt'):
        target_runtime('et-fp32')


def test_exported_copy_gets_rank4_fusion_weights_with_the_same_outputs():
    from mmdet_efficientdet.deployment.executorch_runtime import _rank4_fusions, _Rank4Fusion
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


class _TinyNet(torch.nn.Module):
    """images -> tuple of two maps (the shape of a detector's raw outputs),
    conv + BN + ReLU6 as in EfficientDet-Lite, in seconds instead of a
    detector's minutes of XNNPACK lowering."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.stem = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, stride=2, padding=1), torch.nn.BatchNorm2d(16),
            torch.nn.ReLU6())
        self.mid = torch.nn.Sequential(
            torch.nn.Conv2d(16, 16, 3, padding=1, groups=16), torch.nn.Conv2d(16, 24, 1),
            torch.nn.ReLU6())
        self.cls = torch.nn.Conv2d(24, 6, 1)
        self.box = torch.nn.Conv2d(24, 4, 1)

    def forward(self, x):
        x = self.mid(self.stem(x))
        return self.cls(x), self.box(x)


def _tiny_onnx(net, path):
    torch.onnx.export(net, (torch.zeros(1, 3, 32, 32), ), str(path), dynamo=False)
    return str(path)


@requires_executorch
def test_int8_program_runs_close_to_the_pytorch_model(tmp_path):
    net = _TinyNet().eval()
    images = torch.rand(6, 3, 32, 32) * 4 - 2
    batches = [images[i:i + 2].numpy() for i in range(0, 6, 2)]
    lines = []
    path = ExecuTorchRuntime.export(
        'int8',
        _tiny_onnx(net, tmp_path / 'net.onnx'),
        str(tmp_path),
        batches, ['ignored'],
        lines.append,
        model=net)
    assert path == str(tmp_path / 'model_int8.pte')
    assert lines[0].startswith('et-int8: lowered to XNNPACK in ')
    backend = open_deployed(path)
    with torch.no_grad():
        want = net(images)
    got = backend(images)
    errors = [float((g - w).abs().max() / w.abs().max()) for g, w in zip(got, want)]
    assert max(errors) < 0.05, errors  # int8 rounding: close, not equal
    assert max(errors) > 1e-4  # and really quantized (not the fp32 program)


@requires_executorch
def test_a_program_the_runtime_cannot_run_is_refused(tmp_path, monkeypatch):
    import executorch.runtime

    class Refusing:

        def load_program(self, path):
            raise RuntimeError('Failed to load method forward, error: 0x:1')

    monkeypatch.setattr(executorch.runtime.Runtime, 'get', staticmethod(lambda: Refusing()))
    net = _TinyNet().eval()
    with pytest.raises(
            UserError,
            match=r'^et-fp32: the ExecuTorch runtime cannot run the '
            r'program XNNPACK lowered \(Failed to load method forward'):
        ExecuTorchRuntime.export(
            'fp32',
            _tiny_onnx(net, tmp_path / 'net.onnx'),
            str(tmp_path), [], [],
            lambda line: None,
            model=net)
