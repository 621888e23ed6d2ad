"""Sliced inference in predict: tiles, the one-tile equality, a deployed file."""
import copy
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample

from mmdet_efficientdet.deployment import deploy_model
from mmdet_efficientdet.models.inference import SliceSettings, tile_grid, tile_starts
from mmdet_efficientdet.models.trained import load_trained


def test_tiles_cover_the_image_and_end_at_its_edges():
    assert tile_starts(1920, 512, 0.2) == [0, 410, 820, 1230, 1408]
    assert tile_starts(512, 512, 0.5) == [0] and tile_starts(100, 512, 0.2) == [0]
    grid = tile_grid(2250, 4000, (512, 512), 0.2)
    covered = torch.zeros(2250, 4000, dtype=torch.bool)
    for x0, y0, x1, y1 in grid:
        assert (x1 - x0, y1 - y0) == (512, 512)
        covered[y0:y1, x0:x1] = True
    assert covered.all() and len(grid) == 6 * 10
    assert tile_grid(300, 700, (512, 512), 0.2) == [(0, 0, 512, 300), (188, 0, 700, 300)]


@pytest.mark.parametrize('cfg, message', [
    (dict(), 'tile is missing'),
    (dict(tile=128, overlap=1.0), 'overlap=1.0 must be in'),
    (dict(tile=128, merge='soft'), "merge='soft'"),
    (dict(tile=128, match_metric='giou'), "match_metric='giou'"),
    (dict(tile=128, tiles=2), "unknown key\\(s\\) \\['tiles'\\]"),
])
def test_bad_settings_name_the_key(cfg, message):
    with pytest.raises(ValueError, match=message):
        SliceSettings.from_cfg(cfg)


def _model(trained, **slicing):
    """The tiny D0 with seeded He-initialised weights (a barely trained head
    scores every box at its 0.01 prior: ties in every ranking), optionally
    slicing."""
    cfg, _ = load_trained(trained[0], None)
    model_cfg = copy.deepcopy(cfg.model)
    if slicing:
        model_cfg.test_cfg['slice'] = slicing
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    with torch.no_grad():  # He-initialised convs: features that vary over the image
        for conv in model.modules():
            if isinstance(conv, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(conv.weight)
        model.bbox_head.cls_pred.pointwise_conv.conv.bias.fill_(-3.0)
    return model.eval(), cfg


def _batch(model, height, width, shapes_root):
    """A mosaic of the shapes val images (128 px each) as one image."""
    names = sorted(os.listdir(osp.join(shapes_root, 'val')))
    tiles = [cv2.imread(osp.join(shapes_root, 'val', n)) for n in names]
    rows, cols = -(-height // 128), -(-width // 128)
    mosaic = np.concatenate([
        np.concatenate([tiles[(r * cols + c) % len(tiles)] for c in range(cols)], 1)
        for r in range(rows)
    ], 0)[:height, :width]
    image = torch.from_numpy(np.ascontiguousarray(mosaic.transpose(2, 0, 1)))
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(height, width), ori_shape=(height, width), scale_factor=(1.0, 1.0)))
    data = model.data_preprocessor(dict(inputs=[image], data_samples=[sample]), False)
    return data['inputs'], data['data_samples']


def test_one_tile_over_the_whole_image_equals_plain_inference(trained, shapes_root):
    plain, _ = _model(trained)
    sliced, _ = _model(trained, tile=128, overlap=0.2, full_image=False, merge='nms')
    inputs, samples = _batch(plain, 128, 128, shapes_root)
    with torch.no_grad():
        a = plain.predict(inputs, copy.deepcopy(samples))[0].pred_instances
        b = sliced.predict(inputs, copy.deepcopy(samples))[0].pred_instances
    assert len(a.bboxes) == 100 and len(set(a.scores.tolist())) > 50
    torch.testing.assert_close(b.bboxes, a.bboxes)
    torch.testing.assert_close(b.scores, a.scores)
    assert torch.equal(b.labels, a.labels)


def test_a_large_image_is_run_as_tiles_in_one_batch(trained, shapes_root):
    model, _ = _model(trained, tile=128, overlap=0.25, full_image=True)
    inputs, samples = _batch(model, 256, 384, shapes_root)
    batches = []
    forward = model._forward
    model._forward = lambda x: (batches.append(tuple(x.shape)), forward(x))[1]
    with torch.no_grad():
        found = model.predict(inputs, samples)[0].pred_instances
    assert batches == [(len(tile_grid(256, 384, (128, 128), 0.25)) + 1, 3, 128, 128)]
    assert len(found.bboxes) <= 100
    assert (found.bboxes[:, 2] <= 384).all() and (found.bboxes[:, 3] <= 256).all()
    assert (found.bboxes[:, :2] >= 0).all()


def test_a_deployed_file_slices_like_the_pytorch_model(trained, shapes_root, tmp_path):
    model, cfg = _model(trained, tile=128, overlap=0.2, full_image=True)
    files = deploy_model(model, str(tmp_path), (128, 128), ['ort-fp32'], [], log=lambda line: None)
    deployed = MODELS.build(
        dict(
            type='DeployedEfficientDet',
            detector=model_cfg_of(cfg, tile=128),
            deployed=files['ort-fp32']))
    inputs, samples = _batch(model, 256, 256, shapes_root)
    with torch.no_grad():
        ours = model.predict(inputs, copy.deepcopy(samples))[0].pred_instances
        theirs = deployed.predict(inputs, copy.deepcopy(samples))[0].pred_instances
    top = ours.scores > 0.05
    assert top.any()
    torch.testing.assert_close(
        theirs.bboxes[:int(top.sum())], ours.bboxes[top], atol=0.05, rtol=1e-3)
    with pytest.raises(ValueError, match='deploy at the tile size'):
        MODELS.build(
            dict(
                type='DeployedEfficientDet',
                detector=model_cfg_of(cfg, tile=256),
                deployed=files['ort-fp32']))


def model_cfg_of(cfg, tile):
    detector = copy.deepcopy(cfg.model)
    detector.test_cfg['slice'] = dict(tile=tile, overlap=0.2, full_image=True)
    return detector
