"""Sub-networks: an ordinary config, exact extraction, BN recalibration."""
import random

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdet_efficientdet.errors import UserError
from mmdet_efficientdet.models.search_space import SubnetChoice
from mmdet_efficientdet.nas import extract_subnet, recalibrate_bn, search_space_of, subnet_config


def _supernet(config):
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():  # trained-like BN: statistics and affine not at init
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
    return cfg, model.eval()


def test_subnet_config_is_an_ordinary_config(supernet_config):
    cfg = Config.fromfile(supernet_config)
    choice = SubnetChoice(
        ((3, 1.0, 1), (3, 6.0, 1), (5, 3.0, 2), (3, 6.0, 3), (3, 3.0, 3), (5, 6.0, 2), (3, 4.0, 1)),
        2, 3, 128)
    sub = subnet_config(cfg, choice)
    assert sub.model.type == 'EfficientDet' and 'search_space' not in sub.model
    assert 'search_space' not in sub and 'search_space' not in sub.pretty_text
    assert sub.model.backbone.type == 'EfficientNetBackbone'
    assert sub.model.backbone.blocks[2] == 'ir_r2_k5_s2_e3_c40'
    assert sub.model.backbone.blocks[6] == 'ir_r1_k3_s1_e4_c320'
    assert (sub.model.neck.num_stages, sub.model.bbox_head.stacked_convs) == (2, 3)
    assert sub.model.data_preprocessor.pad_size_divisor == 128
    assert cfg.model.type == 'EfficientDetSupernet'  # the input is not changed
    sub_96 = subnet_config(cfg, SubnetChoice(choice.stages, 2, 3, 96))  # every pipeline
    assert [t['scale'] for t in sub_96.val_dataloader.dataset.pipeline
            if 'scale' in t] == [(96, 96)]
    assert [t['size'] for t in sub_96.train_dataloader.dataset.pipeline
            if 'size' in t] == [(96, 96)]
    assert sub_96.model.data_preprocessor.pad_size_divisor == 32 and sub_96.image_size == 96


def test_extracted_subnets_equal_the_supernet(supernet_config):
    cfg, supernet = _supernet(supernet_config)
    space = search_space_of(cfg)
    rng = random.Random(0)
    x = torch.randn(2, 3, 128, 128)
    choices = [space.largest(), space.smallest()] + [space.sample(rng) for _ in range(3)]
    for choice in choices:
        plain = MODELS.build(subnet_config(cfg, choice).model).eval()
        plain.load_state_dict(extract_subnet(supernet, choice, plain), strict=True)
        supernet.set_choice(choice)
        with torch.no_grad():
            ours, theirs = supernet._forward(x), plain._forward(x)
        for a, b in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
            assert (a - b).abs().max() <= 1e-5, choice.name()


def test_recalibration_resets_then_averages(supernet_config, shapes_root):
    from mmengine.runner import Runner
    cfg, supernet = _supernet(supernet_config)
    supernet.set_choice(search_space_of(cfg).smallest())
    loader = Runner.build_dataloader(cfg.val_dataloader)
    batches = list(loader)[:2]
    bn = supernet.neck.stages[0].nodes[0].conv.pointwise_conv.bn
    before = bn.running_mean.clone()
    recalibrate_bn(supernet, batches)
    first = bn.running_mean.clone()
    recalibrate_bn(supernet, batches)
    assert not torch.allclose(first, before)
    assert torch.allclose(bn.running_mean, first)  # reset, not accumulated across calls
    assert bn.momentum == cfg.model.neck.norm_cfg.momentum and not supernet.training


def test_not_a_supernet_is_one_line(make_tiny_config):
    with pytest.raises(UserError, match="model.type='EfficientDet': expected a supernet config"):
        search_space_of(Config.fromfile(make_tiny_config()))
