"""P2 levels (stride 4) for small objects: D0 and Lite0 rows with
``min_level=2``, built from the table and the BiFPN node list as data."""
import torch
from mmdet.registry import MODELS
from mmengine.optim import OptimWrapper

from mmdet_efficientdet.converters import load_untrusted_state_dict
from mmdet_efficientdet.models.backbones.imagenet_init import package_file
from mmdet_efficientdet.models.necks.bifpn_topology import bifpn_nodes
from mmdet_efficientdet.scaling import EFFICIENTNET_SCALES, get_efficientdet_scale
from mmdet_efficientdet.utils.config_loader import load_config
from ...conftest import CONFIG_DIR


def _config(level):
    return load_config(f'{CONFIG_DIR}/efficientdet_{level}_8xb16-300e_coco.py')


def test_p2_rows_are_d0_and_lite0_with_min_level_2():
    for name in ('d0', 'lite0'):
        plain, p2 = get_efficientdet_scale(name), get_efficientdet_scale(f'{name}-p2')
        assert (p2.min_level, p2.max_level, p2.strides) == (2, 7, [4, 8, 16, 32, 64, 128])
        assert (p2.image_size, p2.backbone, p2.bifpn_channels, p2.anchor_scale) == \
            (plain.image_size, plain.backbone, plain.bifpn_channels, plain.anchor_scale)
    assert len(bifpn_nodes(2, 7)) == len(bifpn_nodes(3, 7)) + 2


def test_the_p2_config_feeds_the_stride_4_stage_and_six_anchor_levels():
    cfg = _config('d0-p2')
    m = cfg.model
    assert tuple(m.backbone.out_indices) == (1, 2, 3, 4)
    assert (m.neck.min_level, m.neck.num_outs, list(m.neck.in_channels)) == (2, 6,
                                                                             [24, 40, 112, 320])
    assert (m.bbox_head.num_levels, m.bbox_head.anchor_generator.strides) == \
        (6, [4, 8, 16, 32, 64, 128])
    model = MODELS.build(m).eval()
    with torch.no_grad():
        cls_scores, _ = model._forward(torch.zeros(1, 3, 256, 256))
    assert [tuple(c.shape[-2:]) for c in cls_scores] == [(64, 64), (32, 32), (16, 16), (8, 8),
                                                         (4, 4), (2, 2)]


def test_lite0_p2_loads_imagenet_offline_and_trains_two_iterations():
    cfg = _config('lite0-p2')
    cfg.model.bbox_head.num_classes = 2
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()  # the backbone's ImageNetPretrained init (installed package)
    state = load_untrusted_state_dict(package_file(EFFICIENTNET_SCALES['lite0'].imagenet))
    assert torch.equal(model.backbone.stem.conv.weight, state['_conv_stem.weight'])
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    sample = DetDataSample(metainfo=dict(img_shape=(128, 128), pad_shape=(128, 128)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[10., 10., 22., 20.], [60., 64., 70., 75.]]),
        labels=torch.tensor([0, 1]))
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    model.train()
    losses = []
    for _ in range(2):
        data = dict(
            inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)], data_samples=[sample])
        log = model.train_step(data, optim)
        losses.append(float(log['loss']))
    assert all(torch.isfinite(torch.tensor(losses)))
