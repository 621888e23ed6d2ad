"""timm EfficientNet ImageNet checkpoints -> backbone ``Pretrained`` init."""
import pytest
import torch

from mmdet_efficientdet.converters import (CheckpointMismatchError,
                                           convert_timm_efficientnet,
                                           timm_backbone_key)
from mmdet_efficientdet.models.backbones import EfficientNetBackbone

from ..reference.effdet_ref import import_effdet
from ..reference.parity import randomize_


def _timm_model(name):
    import_effdet()  # puts .refenv on the path with the torchvision shim
    import timm
    torch.manual_seed(0)
    return randomize_(timm.create_model(name, pretrained=False), 5).eval()


def test_key_mapping():
    assert timm_backbone_key('conv_stem.weight', False) == 'stem.conv.weight'
    assert timm_backbone_key('blocks.0.0.conv_pw.weight', False) == \
        'stages.0.0.linear_conv.conv.weight'
    assert timm_backbone_key('blocks.2.1.conv_pw.weight', True) == \
        'stages.2.1.expand_conv.conv.weight'
    assert timm_backbone_key('blocks.2.1.se.conv_expand.bias', True) == \
        'stages.2.1.se.conv2.conv.bias'
    assert timm_backbone_key('classifier.weight', False) is None


def test_imagenet_checkpoint_through_pretrained_init(tmp_path):
    import importlib.util
    from ..reference.effdet_ref import REPO
    timm_model = _timm_model('tf_efficientnet_b0')
    src, dst = tmp_path / 'b0.pth', tmp_path / 'b0_backbone.pth'
    torch.save(timm_model.state_dict(), src)
    spec = importlib.util.spec_from_file_location(
        'tool', f'{REPO}/tools/model_converters/efficientnet_to_mmdet.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(src), str(dst), '--arch', 'b0']) == 0

    backbone = EfficientNetBackbone(
        arch='b0', same_padding=True, out_indices=(0, 1, 2, 3, 4),
        init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    backbone.init_weights()
    backbone.eval()
    x = torch.randn(1, 3, 224, 160)
    with torch.no_grad():
        ours = backbone(x)
        ref = timm_model.forward_intermediates(x, intermediates_only=True)
    assert [tuple(o.shape) for o in ours] == [tuple(r.shape) for r in ref]
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-4)


def test_classifier_keys_dropped_and_listed():
    timm_model = _timm_model('tf_efficientnet_b0')
    target = EfficientNetBackbone(arch='b0').state_dict()
    _, report = convert_timm_efficientnet(timm_model.state_dict(), target)
    assert {k.split('.')[0] for k in report.unused} == {
        'conv_head', 'bn2', 'classifier'}
    assert not report.notes


def test_wrong_width_refused():
    timm_model = _timm_model('tf_efficientnet_b0')
    target = EfficientNetBackbone(arch='b2').state_dict()
    with pytest.raises(CheckpointMismatchError,
                       match=r'stem.conv.weight: expected \(32, 3, 3, 3\)|'
                       r'expected \(\d+.*found'):
        convert_timm_efficientnet(timm_model.state_dict(), target)


def test_missing_pretrained_file_fails_before_training(tmp_path):
    backbone = EfficientNetBackbone(
        arch='b0', init_cfg=dict(type='Pretrained',
                                 checkpoint=str(tmp_path / 'missing.pth')))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        backbone.init_weights()
