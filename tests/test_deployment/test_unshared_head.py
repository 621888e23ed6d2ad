"""The export-time head with per-level copies of its convs (BN folded)
computes the shared head's outputs and shares no conv between levels."""
import torch

from mmdet_efficientdet.deployment.unshared_head import UnsharedHead, unshare_head
from mmdet_efficientdet.models.dense_heads import EfficientDetSepBNHead


def _head() -> EfficientDetSepBNHead:
    torch.manual_seed(0)
    head = EfficientDetSepBNHead(num_classes=3, in_channels=16, feat_channels=16, stacked_convs=2)
    for module in head.modules():  # BN statistics and affine terms that matter
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    for module in head.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.weight.data.normal_(0, 0.3)
    return head.eval()


def test_same_outputs_as_the_shared_head_and_nothing_shared():
    head = _head()
    maps = [torch.randn(2, 16, s, s) for s in (16, 8, 4, 2, 1)]
    with torch.no_grad():
        want = head(maps)
        got = UnsharedHead(head)(maps)
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)
    unshared = UnsharedHead(head)
    # one conv per level and branch: no parameter tensor appears twice
    pointers = [p.data_ptr() for p in unshared.parameters()]
    assert len(pointers) == len(set(pointers))
    assert len(unshared.cls) == len(unshared.reg) == 5
    # BN folded: no BatchNorm left, each branch = 2 folded convs + prediction
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in unshared.modules())
    assert len(unshared.cls[0].convs) == 2
    # the source head is left as it was (the export works on a copy)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in head.modules())


def test_unshare_head_swaps_the_detectors_head_in_place():

    class Detector(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.bbox_head = _head()

    detector = Detector()
    assert unshare_head(detector) is detector
    assert isinstance(detector.bbox_head, UnsharedHead)
