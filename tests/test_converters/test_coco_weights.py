"""effdet's COCO checkpoints -> load_from files of the templates."""
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmdet_efficientdet.converters import coco_weights
from mmdet_efficientdet.converters.coco_weights import convert_coco_weights
from mmdet_efficientdet.errors import UserError
from ..conftest import CONFIG_DIR, requires_refenv

PORTED = osp.join(CONFIG_DIR, 'ported', 'tf_efficientdet_lite0_coco.py')
TEMPLATE = osp.join(CONFIG_DIR, 'custom', 'efficientdet_lite0_finetune_custom-coco.py')


def test_offline_is_one_line_naming_the_file_to_place(tmp_path, monkeypatch):
    monkeypatch.setattr(coco_weights, 'EFFDET_RELEASE', 'http://127.0.0.1:9/')
    cache, out = tmp_path / 'checkpoints', tmp_path / 'out.pth'
    with pytest.raises(UserError) as err:
        convert_coco_weights('lite0', str(out), PORTED, str(cache), log=lambda line: None)
    message = str(err.value)
    assert message.startswith('cannot download http://127.0.0.1:9/tf_efficientdet_lite0-dfacfc78')
    assert f'place it at {cache}/tf_efficientdet_lite0-dfacfc78.pth' in message
    assert not out.exists()
    assert not cache.exists() or not list(cache.iterdir())  # no partial download
    with pytest.raises(UserError, match="no published COCO checkpoint for 'd9'"):
        convert_coco_weights('d9', str(out), PORTED, str(cache))


@requires_refenv
def test_random_effdet_lite0_loads_into_the_template_but_the_class_conv(tmp_path):
    """A converted (random) effdet Lite0: the 1-class template takes every
    tensor but the class conv, which keeps its fresh initialisation; the
    template's COCO start switches to the weights' normalisation."""
    from reference.effdet_ref import create_reference_model, randomize_
    src, out = tmp_path / 'tf_lite0.pth', tmp_path / 'ours.pth'
    torch.save(randomize_(create_reference_model('tf_efficientdet_lite0'), 3).state_dict(), src)
    result = convert_coco_weights(
        'lite0', str(out), PORTED, str(tmp_path / 'cache'), str(src), log=lambda line: None)
    assert result.input_norm == dict(mean=[127.5] * 3, std=[127.5] * 3)
    converted = torch.load(out, weights_only=True)['state_dict']
    cfg = Config.fromfile(TEMPLATE)
    cfg.merge_from_dict(dict(model=dict(bbox_head=dict(num_classes=1))))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    load_checkpoint(model, str(out), map_location='cpu', strict=False, logger='silent')
    class_conv = 'bbox_head.cls_pred.pointwise_conv.conv.'
    for key, value in model.state_dict().items():
        if key.startswith(class_conv):
            assert torch.equal(value, fresh[key]), key
        else:
            assert torch.equal(value, converted[key]), key
    assert cfg.load_from is None  # the template's default start: ImageNet
    text = open(TEMPLATE).read().replace('load_from = None', f'load_from = {str(out)!r}')
    (tmp_path / 'coco_start.py').write_text(text.replace("'../", f"'{CONFIG_DIR}/"))
    coco_start = Config.fromfile(str(tmp_path / 'coco_start.py'))
    assert coco_start.model.data_preprocessor.mean == [127.5] * 3
    assert coco_start.model.backbone.init_cfg is None
