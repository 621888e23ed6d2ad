"""Config mutators of config_utils: the schedule set to N epochs."""
import pytest
from mmengine.config import Config

from mmdet_efficientdet.config_utils import set_config_epochs


def _config(max_epochs=20, val_interval=2):
    return Config(
        dict(
            max_epochs=max_epochs,
            train_cfg=dict(
                type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=val_interval),
            param_scheduler=[
                dict(type='LinearLR', by_epoch=False, begin=0, end=50),
                dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[8]),
                dict(
                    type='CosineAnnealingLR',
                    by_epoch=True,
                    begin=0,
                    end=max_epochs,
                    T_max=max_epochs,
                    convert_to_iter_based=True),
            ]))


@pytest.mark.parametrize('epochs, ends', [(80, (50, 12, 80)), (6, (50, 6, 6))])
def test_the_schedule_keeps_its_shape(epochs, ends):
    cfg = _config()
    set_config_epochs(cfg, epochs)
    assert cfg.max_epochs == cfg.train_cfg.max_epochs == epochs
    # the warm-up counts iterations; a scheduler ending early ends there
    # unless the new schedule is shorter; the one ending last moves with it
    assert tuple(s['end'] for s in cfg.param_scheduler) == ends
    assert cfg.param_scheduler[2]['T_max'] == epochs
    assert cfg.train_cfg.val_interval == min(2, epochs)


def test_one_epoch_validates_after_it_and_a_lone_scheduler_dict_is_taken():
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=12, val_interval=3),
            param_scheduler=dict(type='CosineAnnealingLR', end=12, T_max=12)))
    set_config_epochs(cfg, 1)
    assert cfg.param_scheduler == [dict(type='CosineAnnealingLR', end=1, T_max=1)]
    assert cfg.train_cfg.val_interval == 1
