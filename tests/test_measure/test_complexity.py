"""count_macs counts as mmengine's FlopAnalyzer (its reference here), op for
op and module for module, from one eager pass."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from torch import nn

from mmdet_efficientdet.measure import count_macs, measure_complexity
from mmdet_efficientdet.models.raw_outputs import RawOutputs
from ..conftest import D0_CONFIG


class EveryCountedOp(nn.Module):
    """One call of each op the count covers, and some it leaves out
    (element-wise ops, max pooling, bicubic resize)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.bn = nn.BatchNorm2d(8)
        self.plain_bn = nn.BatchNorm2d(8, affine=False)
        self.depthwise = nn.Conv2d(8, 8, 3, 1, 1, groups=8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)
        self.group_norm = nn.GroupNorm(2, 8)
        self.layer_norm = nn.LayerNorm(5)
        self.instance_norm = nn.InstanceNorm2d(8, affine=True)
        self.up = nn.ConvTranspose2d(8, 4, 2, 2)
        self.conv1d = nn.Conv1d(4, 4, 3)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Conv2d(8, 8, 1), nn.ReLU())])

    def _forward(self, x: torch.Tensor) -> tuple:
        y = self.instance_norm(
            self.group_norm(self.depthwise(self.plain_bn(self.bn(self.conv(x))))))
        y = self.blocks[0](y) + F.max_pool2d(y, 3, 1, 1)
        z = self.layer_norm(self.fc(self.pool(y).flatten(1)))
        a, b = torch.ones(2, 3, 4), torch.ones(2, 4, 6)
        rest = [
            F.interpolate(y, scale_factor=2, mode='nearest'),
            F.interpolate(y, size=(5, 7), mode='bilinear', align_corners=False),
            F.interpolate(y, size=(5, 7), mode='bicubic', align_corners=False),
            F.adaptive_avg_pool2d(y, (3, 3)),
            self.up(y), a @ b,
            torch.bmm(a, b),
            torch.matmul(a[0], b[0]),
            torch.mm(a[0], b[0]),
            torch.einsum('bij,bjk->bik', a, b),
            torch.einsum('ij,jk', a[0], b[0]),
            torch.addmm(torch.zeros(3, 6), a[0], b[0]),
            F.grid_sample(y, torch.zeros(1, 4, 4, 2), align_corners=False),
            self.conv1d(torch.ones(1, 4, 9))
        ]
        return (z, sum(t.sum() for t in rest))

    forward = _forward


def _reference(model: nn.Module, size: int) -> FlopAnalyzer:
    analyzer = FlopAnalyzer(model, (torch.zeros(1, 3, size, size), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


def test_every_op_and_module_counts_as_mmengines():
    model = EveryCountedOp().eval()
    reference = _reference(model, 16)
    got = count_macs(model, 16, 16)
    assert got.total == reference.total() == 43201
    assert got.by_module == {k: v for k, v in reference.by_module().items() if v}
    # a container never called itself still sums its children (a 1x1
    # conv, 8 -> 8 channels, on an 8x8 map)
    assert got.by_module['blocks'] == got.by_module['blocks.0.0'] == 8 * 8 * 8 * 8


def test_a_detector_and_its_modules_count_as_mmengines():
    cfg = Config.fromfile(D0_CONFIG)
    cfg.model.backbone.init_cfg = None
    detector = MODELS.build(cfg.model).eval()
    reference = _reference(RawOutputs(detector), 128)
    got = count_macs(detector, 128, 128)
    assert got.total == reference.total() == 160052544
    expected = {k[len('detector.'):]: v for k, v in reference.by_module().items() if '.' in k}
    assert {k: v for k, v in got.by_module.items() if k} == \
        {k: v for k, v in expected.items() if v}
    complexity = measure_complexity(detector, 128, 128)
    assert (complexity.params, complexity.flops) == (3871913, 160052544)
    assert not detector.training


@pytest.mark.parametrize('training', [False, True])
def test_batch_norm_counts_by_mode(training):
    bn = nn.BatchNorm2d(3)
    bn.train(training)
    module = nn.Module()
    module.bn = bn
    module._forward = lambda x: F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                                             training)
    got = count_macs(module, 2, 2)
    assert got.total == 3 * 2 * 2 * (5 if training else 2)
