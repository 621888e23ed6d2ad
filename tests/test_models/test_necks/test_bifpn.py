"""BiFPN neck."""
import pytest
import torch
from torch import nn

from mmdet_efficientdet.models.layers import MaxPool2dDown
from mmdet_efficientdet.models.necks import BiFPN


def _feats(batch, sizes, channels=(40, 112, 320)):
    return [torch.rand(batch, c, h, w) for c, (h, w) in zip(channels, sizes)]


def test_output_shapes_p3_p7_non_square():
    neck = BiFPN([40, 112, 320], 64, num_outs=5, num_stages=2).eval()
    with torch.no_grad():
        outs = neck(_feats(2, [(48, 80), (24, 40), (12, 20)]))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 48, 80), (2, 64, 24, 40), (2, 64, 12, 20),
                                              (2, 64, 6, 10), (2, 64, 3, 5)]


def test_p3_p8():
    neck = BiFPN([40, 112, 320], 32, num_outs=6, num_stages=1).eval()
    with torch.no_grad():
        outs = neck(_feats(1, [(32, 32), (16, 16), (8, 8)]))
    assert [o.shape[-1] for o in outs] == [32, 16, 8, 4, 2, 1]
    assert len(neck.stages[0].nodes) == 10


def test_extra_levels_p6_conv_bn_pool_and_p7_pool_only():
    neck = BiFPN([40, 112, 320], 64, num_outs=5, num_stages=1)
    p6, p7 = neck.extra_levels
    assert p6[0].conv.kernel_size == (1, 1) and p6[0].conv.in_channels == 320
    assert isinstance(p6[0].bn, nn.BatchNorm2d)
    assert isinstance(p6[1], MaxPool2dDown)
    assert isinstance(p7[0], nn.Identity) and isinstance(p7[1], MaxPool2dDown)


def test_channel_adapters_only_where_channels_differ():
    neck = BiFPN([40, 112, 320], 64, num_outs=5, num_stages=2)
    first, second = neck.stages
    # P4 out node (index 4) fuses P4_in (112 ch: adapter), P4 td, down(P3 out)
    adapters = first.nodes[4].adapters
    assert adapters[0].conv.in_channels == 112
    assert isinstance(adapters[1], nn.Identity) and isinstance(adapters[2], nn.Identity)
    # P6/P7 inputs already have 64 channels; stage 2 has no adapters at all
    assert all(isinstance(a, nn.Identity) for a in first.nodes[0].adapters)
    assert all(isinstance(a, nn.Identity) for node in second.nodes for a in node.adapters)
    # P4_in feeds two nodes with separate 1x1 convs (as automl)
    assert first.nodes[2].adapters[0] is not first.nodes[4].adapters[0]


def test_fusion_mode_reaches_every_node_and_weights_get_grads():
    neck = BiFPN([8, 8, 8], 8, num_outs=5, num_stages=1, fusion='softmax')
    assert {n.fusion.mode for n in neck.stages[0].nodes} == {'softmax'}
    outs = neck(_feats(2, [(16, 16), (8, 8), (4, 4)], channels=(8, 8, 8)))
    sum(o.sum() for o in outs).backward()
    for node in neck.stages[0].nodes:
        assert node.fusion.weight.grad is not None
    summed = BiFPN([8, 8, 8], 8, num_stages=1, fusion='sum')
    assert all(n.fusion.weight is None for n in summed.stages[0].nodes)


def test_same_padding_maxpool_pads_bottom_right_with_minus_inf():
    pool = MaxPool2dDown(same_padding=True)
    x = torch.arange(16.).reshape(1, 1, 4, 4) * -1  # max is top-left
    out = pool(x)
    # TF 'SAME': windows start at rows/cols 0 and 2, no padding on the top-left
    assert out.flatten().tolist() == [0.0, -2.0, -8.0, -10.0]
    assert MaxPool2dDown(False)(x).flatten().tolist() == [0.0, -1.0, -4.0, -5.0]


@pytest.mark.parametrize('kwargs, match', [
    (dict(fusion='fastnorm'), 'fusion'),
    (dict(num_outs=2), 'num_outs'),
    (dict(num_stages=0), 'num_stages'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BiFPN([40, 112, 320], 64, **kwargs)


def test_wrong_number_of_inputs():
    neck = BiFPN([40, 112, 320], 16, num_stages=1)
    with pytest.raises(ValueError, match='inputs'):
        neck(_feats(1, [(16, 16), (8, 8)]))


def test_panet_topology_is_a_config_change():
    from mmdet.registry import MODELS
    from mmengine.config import Config

    from mmdet_efficientdet.models.necks import panet_nodes
    from ...conftest import D0_CONFIG
    cfg = Config.fromfile(D0_CONFIG)
    cfg.model.bbox_head.num_classes = 3
    # the node list as a config holds it: plain dicts
    cfg.model.neck.nodes = [dict(level=n.level, inputs=list(n.inputs)) for n in panet_nodes(3, 7)]
    panet = MODELS.build(cfg.model).eval()
    assert [(n.level, n.inputs) for n in panet.neck.nodes][4:] == [(4, (7, 8)), (5, (6, 9)),
                                                                   (6, (5, 10)), (7, (4, 11))]
    layer = panet.neck.stages[1]
    # PANet's bottom-up nodes fuse 2 inputs, BiFPN's inner ones 3
    assert [len(node.inputs) for node in layer.nodes] == [2] * 8
    with torch.no_grad():
        cls_scores, _ = panet._forward(torch.rand(1, 3, 256, 128))
    assert [tuple(c.shape[-2:]) for c in cls_scores] == [(32, 16), (16, 8), (8, 4), (4, 2), (2, 1)]
    bifpn = BiFPN([40, 112, 320], 64, num_outs=5)
    assert [len(node.inputs) for node in bifpn.stages[1].nodes] == [2, 2, 2, 2, 3, 3, 3, 2]


@pytest.mark.parametrize('nodes, match', [
    ([dict(level=9, inputs=[0, 1])], r'level=9 is not in \[3, 7\]'),
    ([dict(level=4, inputs=[0, 5])], r'inputs=\(0, 5\) must be'),
    ([dict(level=4, inputs=[1, 2])], r'no node at level\(s\) \[3, 5, 6, 7\]'),
])
def test_bad_node_list_is_named(nodes, match):
    with pytest.raises(ValueError, match=match):
        BiFPN([40, 112, 320], 64, num_outs=5, nodes=nodes)
