"""timm EfficientNet ImageNet checkpoints -> backbone ``Pretrained`` init."""
import pytest
import torch

from mmdet_efficientdet.converters import (CheckpointMismatchError, convert_timm_efficientnet,
                                           timm_backbone_key)
from mmdet_efficientdet.models.backbones import EfficientNetBackbone
from reference.effdet_ref import import_effdet, randomize_
from ..conftest import requires_refenv


def _timm_model(name):
    import_effdet()  # puts .refenv on the path with the torchvision shim
    import timm
    torch.manual_seed(0)
    return randomize_(timm.create_model(name, pretrained=False), 5).eval()


def test_key_mapping():
    assert timm_backbone_key('conv_stem.weight', 'ds') == 'stem.conv.weight'
    assert timm_backbone_key('blocks.0.0.conv_pw.weight', 'ds') == \
        'stages.0.0.linear_conv.conv.weight'
    assert timm_backbone_key('blocks.2.1.conv_pw.weight', 'ir') == \
        'stages.2.1.expand_conv.conv.weight'
    assert timm_backbone_key('blocks.2.1.se.conv_expand.bias', 'ir') == \
        'stages.2.1.se.conv2.conv.bias'
    assert timm_backbone_key('classifier.weight', 'ds') is None
    # EfficientNetV2: Fused-MBConv with (er) and without (cn) expansion
    assert timm_backbone_key('blocks.1.3.bn2.running_mean', 'er') == \
        'stages.1.3.linear_conv.bn.running_mean'
    assert timm_backbone_key('blocks.0.1.conv.weight', 'cn') == \
        'stages.0.1.fused_conv.conv.weight'
    with pytest.raises(ValueError, match='block kind'):
        timm_backbone_key('blocks.0.1.conv.weight', 'xx')


@requires_refenv
def test_imagenet_checkpoint_through_pretrained_init(tmp_path):
    import importlib.util

    from reference.effdet_ref import REPO
    timm_model = _timm_model('tf_efficientnet_b0')
    src, dst = tmp_path / 'b0.pth', tmp_path / 'b0_backbone.pth'
    torch.save(timm_model.state_dict(), src)
    spec = importlib.util.spec_from_file_location(
        'tool', f'{REPO}/tools/model_converters/efficientnet_to_mmdet.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(src), str(dst), '--arch', 'b0']) == 0

    backbone = EfficientNetBackbone(
        arch='b0',
        same_padding=True,
        out_indices=(0, 1, 2, 3, 4),
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


@requires_refenv
def test_classifier_keys_dropped_and_listed():
    timm_model = _timm_model('tf_efficientnet_b0')
    target = EfficientNetBackbone(arch='b0').state_dict()
    _, report = convert_timm_efficientnet(timm_model.state_dict(), target)
    assert {k.split('.')[0] for k in report.unused} == {'conv_head', 'bn2', 'classifier'}
    assert not report.notes


@requires_refenv
def test_wrong_width_refused():
    timm_model = _timm_model('tf_efficientnet_b0')
    target = EfficientNetBackbone(arch='b2').state_dict()
    with pytest.raises(
            CheckpointMismatchError,
            match=r'stem.conv.weight: expected \(32, 3, 3, 3\)|'
            r'expected \(\d+.*found'):
        convert_timm_efficientnet(timm_model.state_dict(), target)


def test_missing_pretrained_file_fails_before_training(tmp_path):
    backbone = EfficientNetBackbone(
        arch='b0', init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'missing.pth')))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        backbone.init_weights()


@requires_refenv
@pytest.mark.parametrize('arch', ['v2_b0', 'v2_s'])
def test_efficientnetv2_features_match_timm(arch):
    """Fused-MBConv stages convert too: same features as timm's TF port."""
    timm_model = _timm_model(f'tf_efficientnet{arch}')
    backbone = EfficientNetBackbone(arch=arch, same_padding=True, out_indices=(0, 1, 2, 3, 4))
    state, report = convert_timm_efficientnet(timm_model.state_dict(), backbone.state_dict())
    assert {k.split('.')[0] for k in report.unused} == {'conv_head', 'bn2', 'classifier'}
    backbone.load_state_dict(state, strict=True)
    backbone.eval()
    x = torch.randn(1, 3, 128, 96)
    with torch.no_grad():
        ours = backbone(x)
        ref = timm_model.forward_intermediates(x, intermediates_only=True)
    assert [o.shape[1] for o in ours] == [r.shape[1] for r in ref]
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-4)


def _d0_with_imagenet(checkpoint, cache_dir=None):
    from mmdet.registry import MODELS
    from mmengine.config import Config

    from ..conftest import D0_CONFIG
    cfg = Config.fromfile(D0_CONFIG)
    assert cfg.model.backbone.init_cfg.type == 'ImageNetPretrained'
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    if cache_dir:
        cfg.model.backbone.init_cfg.cache_dir = cache_dir
    cfg.model.bbox_head.num_classes = 3
    return MODELS.build(cfg.model)


@requires_refenv
def test_d0_config_starts_from_the_imagenet_checkpoint(tmp_path):
    """The D0 config's backbone (TF 'SAME' padding, TF BN) initialised from a
    timm tf_efficientnet_b0 file gives timm's features within 1e-4 - also
    through the URL path's cache, without downloading."""
    from mmdet_efficientdet.models.backbones.imagenet_init import (cached_path,
                                                                   imagenet_checkpoint_url)
    timm_model = _timm_model('tf_efficientnet_b0')
    src = tmp_path / 'pytorch_model.bin'
    torch.save(timm_model.state_dict(), src)
    x = torch.randn(1, 3, 256, 192)
    with torch.no_grad():
        ref = timm_model.forward_intermediates(x, intermediates_only=True)[2:]

    local = _d0_with_imagenet(str(src))
    local.init_weights()
    url = imagenet_checkpoint_url('tf_efficientnet_b0.aa_in1k')
    cache = tmp_path / 'cache'
    converted = cached_path(url, str(cache))
    cache.mkdir()
    torch.save(dict(state_dict=local.backbone.state_dict()), converted)
    cached = _d0_with_imagenet(url, str(cache))
    cached.init_weights()
    for model in (local, cached):
        backbone = model.backbone.eval()
        with torch.no_grad():
            ours = backbone(x.contiguous(memory_format=torch.channels_last))
        for a, b in zip(ours, ref):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-4)
    # the head and neck keep their own init (not touched by the backbone's)
    assert float(local.bbox_head.cls_pred.pointwise_conv.conv.bias[0]) == \
        pytest.approx(-4.59511985)


def test_imagenet_init_offline_names_the_file_and_the_key(tmp_path):
    from mmdet_efficientdet.models.backbones.imagenet_init import PretrainedWeightsUnavailable

    # a refused local connection stands in for "no network" (nothing leaves
    # this machine)
    url = ('http://127.0.0.1:9/timm/tf_efficientnet_b0.aa_in1k/resolve/main/'
           'pytorch_model.bin')
    model = _d0_with_imagenet(url, str(tmp_path / 'cache'))
    with pytest.raises(PretrainedWeightsUnavailable) as err:
        model.init_weights()
    message = str(err.value)
    assert 'cannot download the ImageNet backbone' in message
    assert str(tmp_path / 'cache' / 'tf_efficientnet_b0.aa_in1k_mmdet.pth') in message
    assert '--cfg-options model.backbone.init_cfg.checkpoint=' in message
    model = _d0_with_imagenet(str(tmp_path / 'nope.bin'))
    with pytest.raises(PretrainedWeightsUnavailable, match='nope.bin'):
        model.init_weights()
