"""The supernet trains through mmdet's Runner with the sandwich rule."""
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from mmdet_efficientdet.utils.config_loader import load_config


def test_supernet_is_filled_from_the_space(supernet_config):
    cfg = Config.fromfile(supernet_config)
    model = MODELS.build(cfg.model)
    assert model.backbone.max_choice[2] == (5, 6.0, 2)  # kernel, expansion, depth
    assert len(model.backbone.stages[5]) == 4
    assert len(model.neck.stages) == 3 and len(model.bbox_head.cls_convs) == 3
    assert [tag for tag, _ in model.sandwich()] == ['largest', 'smallest', 'random0']


def test_sandwich_step_sums_every_subnetwork(supernet_config):
    from mmengine.runner import Runner
    cfg = Config.fromfile(supernet_config)
    cfg.model.distill_weight = 1.0
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    data = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
    steps = []
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
    optim.backward = lambda loss, **kw: (steps.append(model.choice), loss.backward())
    log_vars = model.train_step(data, optim)
    space = model.search_space
    assert steps[:2] == [space.largest(), space.smallest()] and len(steps) == 3
    assert {'loss', 'loss_largest', 'loss_smallest', 'loss_random0'} <= set(log_vars)
    assert 'loss_distill' not in log_vars  # the largest has no teacher
    assert model.choice == space.largest()  # validation scores the largest


def test_supernet_trains_with_tools_train(supernet_config, tmp_path):
    from mmengine.runner import Runner
    cfg = load_config(supernet_config)
    cfg.work_dir = str(tmp_path / 'work')
    Runner.from_cfg(cfg).train()
    state = torch.load(tmp_path / 'work' / 'epoch_1.pth', map_location='cpu')['state_dict']
    # the largest network's tensors, every block and repeat included
    assert state['backbone.stages.5.3.depthwise_conv.conv.weight'].shape == (1152, 1, 5, 5)
    assert state['neck.stages.2.nodes.0.conv.depthwise_conv.conv.weight'].shape == (16, 1, 3, 3)
    assert state['bbox_head.cls_convs.2.depthwise_conv.conv.weight'].shape == (16, 1, 3, 3)
