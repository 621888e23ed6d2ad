"""EfficientDet detector: end to end on small inputs."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from ...conftest import D0_CONFIG


@pytest.fixture(scope='module')
def d0():
    cfg = Config.fromfile(D0_CONFIG)
    cfg.model.bbox_head.num_classes = 3
    cfg.model.backbone.init_cfg = None  # tests never download
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def test_raw_outputs_for_non_square_input(d0):
    with torch.no_grad():
        cls_scores, bbox_preds = d0._forward(torch.rand(1, 3, 384, 640))
    assert [tuple(c.shape[-2:]) for c in cls_scores] == [(48, 80), (24, 40), (12, 20), (6, 10),
                                                         (3, 5)]
    assert cls_scores[0].shape[1] == 27 and bbox_preds[0].shape[1] == 36


def test_input_not_divisible_by_128_is_rejected(d0):
    with pytest.raises(ValueError, match='divisible by 128'):
        d0._forward(torch.rand(1, 3, 256, 200))


def test_predict_returns_scaled_boxes(d0):
    from mmdet.structures import DetDataSample
    sample = DetDataSample()
    sample.set_metainfo(
        dict(
            img_shape=(256, 256),
            ori_shape=(512, 512),
            scale_factor=(0.5, 0.5),
            pad_shape=(256, 256)))
    with torch.no_grad():
        result = d0.predict(torch.rand(1, 3, 256, 256), [sample])[0]
    boxes = result.pred_instances.bboxes
    assert 0 < len(boxes) <= 100
    assert float(boxes.max()) <= 512 + 1e-3 and float(boxes.min()) >= 0
    assert float(result.pred_instances.scores.min()) >= 0.001


def _wider(num_classes=3, channels=88):
    cfg = Config.fromfile(D0_CONFIG)
    cfg.model.bbox_head.num_classes = num_classes
    cfg.model.neck.out_channels = cfg.model.bbox_head.in_channels = channels
    return MODELS.build(cfg.model)


def test_checkpoint_of_another_width_is_refused_naming_keys_and_shapes(d0):
    from mmengine.runner.checkpoint import load_state_dict

    from mmdet_efficientdet.models.detectors import CheckpointShapeError
    other = _wider().state_dict()
    with pytest.raises(CheckpointShapeError) as err:
        load_state_dict(d0, other)
    message = str(err.value)
    assert message.startswith('checkpoint does not fit this model: ')
    assert ('309 tensor(s) differ in shape outside the class-prediction '
            'layer') in message
    assert ('first: neck.extra_levels.0.0.conv.weight: checkpoint '
            '(88, 320, 1, 1), model (64, 320, 1, 1); ') in message
    assert '\n' not in message
    # the EMA copy (prefix 'module.') is checked the same way
    from mmengine.model import ExponentialMovingAverage
    ema = ExponentialMovingAverage(d0)
    with pytest.raises(CheckpointShapeError):
        ema.load_state_dict({'module.' + k: v for k, v in other.items()}, strict=False)


def test_other_classes_still_load_everything_but_the_class_layer():
    from mmengine.runner.checkpoint import load_state_dict
    d0 = _wider(channels=64)
    other = _wider(num_classes=5, channels=64)
    state = {k: v + 1 for k, v in other.state_dict().items() if v.is_floating_point()}
    load_state_dict(d0, state)  # logs the class layer's size mismatch
    own = d0.state_dict()
    for key, value in state.items():
        if key.startswith('bbox_head.cls_pred.pointwise_conv.'):
            assert own[key].shape != value.shape
        else:
            assert torch.equal(own[key], value), key
