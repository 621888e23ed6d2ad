"""Every D-level config: matches the scaling table, builds, runs a forward pass."""
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdet_efficientdet.analysis import measure_complexity
from mmdet_efficientdet.models.backbones import EfficientNetBackbone
from mmdet_efficientdet.scaling import (EFFICIENTDET_SCALES, EFFICIENTDET_V2_SCALES,
                                        get_efficientdet_scale)

from .conftest import CONFIG_DIR

LEVELS = list(EFFICIENTDET_SCALES) + list(EFFICIENTDET_V2_SCALES)


def _config(level):
    return Config.fromfile(
        osp.join(CONFIG_DIR, f'efficientdet_{level}_8xb16-300e_coco.py'))


def _pipeline_sizes(pipeline):
    return {tuple(t[k]) for t in pipeline for k in ('scale', 'crop_size', 'size')
            if k in t}


@pytest.mark.parametrize('level', LEVELS)
def test_config_matches_scaling_table(level):
    ref = get_efficientdet_scale(level)
    cfg = _config(level)
    m = cfg.model
    assert cfg.image_size == ref.image_size
    assert m.backbone.arch == ref.backbone
    assert m.neck.in_channels == EfficientNetBackbone(
        ref.backbone, out_indices=m.backbone.out_indices).out_channels
    assert m.neck.out_channels == ref.bifpn_channels
    assert m.neck.num_stages == ref.bifpn_repeats
    assert m.neck.fusion == ref.fusion
    assert m.neck.num_outs == ref.num_levels
    assert m.bbox_head.in_channels == ref.bifpn_channels
    assert m.bbox_head.stacked_convs == ref.head_repeats
    assert m.bbox_head.num_levels == ref.num_levels
    assert m.bbox_head.anchor_generator.octave_base_scale == ref.anchor_scale
    assert m.bbox_head.anchor_generator.strides == ref.strides
    assert m.data_preprocessor.pad_size_divisor == ref.strides[-1]
    size = {(ref.image_size, ref.image_size)}
    assert _pipeline_sizes(cfg.train_dataloader.dataset.pipeline) == size
    assert _pipeline_sizes(cfg.test_dataloader.dataset.pipeline) == size
    assert _pipeline_sizes(cfg.val_dataloader.dataset.pipeline) == size


@pytest.mark.parametrize('level', LEVELS)
def test_config_builds_and_runs_forward(level):
    cfg = _config(level)
    cfg.model.bbox_head.num_classes = 4
    model = MODELS.build(cfg.model).eval()
    stride = cfg.model.data_preprocessor.pad_size_divisor
    height, width = (stride, 2 * stride) if level >= 'd4' else (3 * stride, 2 * stride)
    with torch.no_grad():
        cls_scores, bbox_preds = model._forward(torch.rand(1, 3, height, width))
    ref = get_efficientdet_scale(level)
    assert [tuple(c.shape[-2:]) for c in cls_scores] == [
        (height // s, width // s) for s in ref.strides]
    assert all(c.shape[1] == 9 * 4 for c in cls_scores)
    assert all(b.shape[1] == 9 * 4 for b in bbox_preds)


def test_d0_params_and_flops_match_paper():
    cfg = _config('d0')
    cfg.model.bbox_head.num_classes = 90  # the paper's COCO head
    cx = measure_complexity(MODELS.build(cfg.model), 512, 512)
    ref = EFFICIENTDET_SCALES['d0']
    assert abs(cx.params / 1e6 / ref.params_m - 1) <= 0.02
    assert abs(cx.flops / 1e9 / ref.flops_g - 1) <= 0.05
    assert cx.params == 3_877_891


def test_finetune_example_config_is_consistent():
    cfg = Config.fromfile(osp.join(
        CONFIG_DIR, 'custom', 'efficientdet_d0_finetune_custom-coco.py'))
    classes = cfg.metainfo['classes']
    assert cfg.model.bbox_head.num_classes == len(classes) == 2
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        assert loader.dataset.metainfo['classes'] == classes
        assert loader.dataset.data_root == cfg.data_root
        assert loader.dataset.type == 'CheckedCocoDataset'
    assert cfg.val_evaluator.ann_file.startswith(cfg.data_root)
    assert cfg.load_from and cfg.train_cfg.max_epochs == 50
    # inherited from D0, not copied: 512 input, EMA, SGD recipe shape
    assert cfg.image_size == 512
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert [h.type for h in cfg.custom_hooks] == ['EMAHook']
    model = MODELS.build(cfg.model)
    assert model.bbox_head.cls_pred.pointwise_conv.conv.out_channels == 9 * 2


def test_progressive_learning_config():
    cfg = Config.fromfile(osp.join(
        CONFIG_DIR, 'efficientdet_v2-s_progressive_8xb16-300e_coco.py'))
    assert cfg.model.backbone.arch == 'v2_s' and cfg.image_size == 1024
    assert [h.type for h in cfg.custom_hooks] == ['EMAHook',
                                                 'ProgressiveLearningHook']
    from mmdet.registry import HOOKS
    hook = HOOKS.build(cfg.custom_hooks[1])
    stages = [hook.stage_settings(i) for i in range(4)]
    assert [s.image_size for s in stages] == [512, 640, 896, 1024]
    assert stages[-1].pipeline_params['RandomResize.ratio_range'] == (0.1, 2.0)
    # the last stage trains exactly as the plain V2-S config
    train = {t['type']: t for t in cfg.train_dataloader.dataset.pipeline}
    assert tuple(train['RandomResize']['ratio_range']) == (0.1, 2.0)
    assert tuple(train['RandomCrop']['crop_size']) == (1024, 1024)
