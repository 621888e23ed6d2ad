"""Every config: top-level values agree with the model and the scaling table;
every D-level config builds and runs a forward pass."""
import glob
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdet_efficientdet.measure.complexity import measure_complexity
from mmdet_efficientdet.models.backbones import EfficientNetBackbone
from mmdet_efficientdet.models.inference import SliceSettings
from mmdet_efficientdet.scaling import (EFFICIENTDET_LITE_SCALES, EFFICIENTDET_P2_SCALES,
                                        EFFICIENTDET_SCALES, EFFICIENTDET_V2_SCALES,
                                        get_efficientdet_scale)
from .conftest import CONFIG_DIR

LEVELS = (
    list(EFFICIENTDET_SCALES) + list(EFFICIENTDET_V2_SCALES) + list(EFFICIENTDET_LITE_SCALES) +
    list(EFFICIENTDET_P2_SCALES))
ALL_CONFIGS = sorted(
    osp.relpath(p, CONFIG_DIR)
    for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if not osp.relpath(p, CONFIG_DIR).startswith('_base_'))  # pieces, not configs
#: Configs trained/evaluated at another input size than their level's row
#: (the demo: 128x128 generated images, said in its header).
#: The CPU fine-tune recipe (a schedule piece, not a complete config).
CPU_RECIPE = Config.fromfile(osp.join(CONFIG_DIR, '_base_', 'schedules', 'cpu_finetune_adamw.py'))
OWN_INPUT_SIZE = {
    'demo/efficientdet_d0_shapes_demo.py',
    # the D0 fine-tuning recipe checked on 128 px shapes
    'custom/recipe_check/source_circles_d0.py',
    'custom/recipe_check/d0_finetune_shapes.py',
    'custom/recipe_check/d0_finetune_shapes_sgd_ema.py'
}
#: Top-level values the Runner reads directly: their only home.
RUNNER_KEYS = {'default_scope', 'log_level', 'load_from', 'resume', 'sync_bn'}


def _config(level):
    found = glob.glob(osp.join(CONFIG_DIR, f'efficientdet_{level}_8xb16-*e_coco.py'))
    assert len(found) == 1, found
    return Config.fromfile(found[0])


def _pipeline_sizes(pipeline):
    return {tuple(t[k]) for t in pipeline for k in ('scale', 'crop_size', 'size') if k in t}


def _dataloaders(cfg):
    return [cfg[k] for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def _is_subset(part, whole, path=''):
    """Every key of ``part`` is in ``whole`` with an equal value."""
    for key, value in part.items():
        assert key in whole, f'{path}{key} missing'
        if isinstance(value, dict):
            _is_subset(value, whole[key], f'{path}{key}.')
        else:
            got = whole[key]
            got = list(got) if isinstance(got, (list, tuple)) else got
            want = list(value) if isinstance(value, (list, tuple)) else value
            assert got == want, f'{path}{key}: config {got!r}, table {want!r}'


def _check_top_level(name, cfg):
    """Every top-level scalar agrees with where the config uses it, and the
    level's numbers with scaling.py. Returns the keys checked."""
    from mmdet_efficientdet.config_utils import level_model
    m = cfg.model
    checked = set()
    for key, value in cfg.items():
        if isinstance(value,
                      dict) and key not in ('norm_cfg', 'backbone_norm_cfg', 'level', 'input_norm'):
            continue
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            if key == 'train_pipeline':
                assert value == cfg.train_dataloader.dataset.pipeline
            elif key == 'test_pipeline':
                assert value == cfg.val_dataloader.dataset.pipeline
                assert value == cfg.test_dataloader.dataset.pipeline
            checked.add(key)
            continue
        checked.add(key)
        if key in RUNNER_KEYS:
            continue
        if key == 'level':
            ref = get_efficientdet_scale(value)
            numbers = level_model(value)
            # the ImageNet init, or none where the config says why (demo:
            # from scratch; fine-tune/ported: a full checkpoint replaces it)
            imagenet = numbers['backbone'].pop('init_cfg')
            if name.startswith('ported/'):  # effdet's weights' normalisation
                from mmdet_efficientdet.config_utils import effdet_input_norm
                pre = m.data_preprocessor
                assert dict(mean=list(pre.mean), std=list(pre.std)) == effdet_input_norm(value)
            if 'input_norm' in cfg or name.startswith('ported/'):
                for k in ('mean', 'std'):
                    numbers['data_preprocessor'].pop(k)
            assert m.backbone.init_cfg in (None, imagenet)
            _is_subset(numbers, m)
            assert EfficientNetBackbone(
                ref.backbone, out_indices=m.backbone.out_indices).out_channels == m.neck.in_channels
        elif key == 'image_size':
            size = {(value, value)}
            slicing = cfg.model.get('test_cfg', {}).get('slice')
            for loader in _dataloaders(cfg):
                sizes = _pipeline_sizes(loader.dataset.pipeline)
                if slicing and not sizes and loader is not cfg.train_dataloader:
                    # sliced inference keeps the resolution; the tile is the network's size
                    assert SliceSettings.from_cfg(slicing).tile == (value, value)
                else:
                    assert sizes == size
            if name not in OWN_INPUT_SIZE:
                assert value == get_efficientdet_scale(cfg.level).image_size
        elif key == 'max_epochs':
            assert cfg.train_cfg.max_epochs == value
            epoch_based = [s for s in cfg.param_scheduler if s.get('by_epoch', True)]
            ends = [s['end'] for s in epoch_based if 'end' in s]
            # an epoch-based scheduler without `end` ends with the train loop (mmengine)
            assert epoch_based and (max(ends) == value if ends else True)
        elif key.startswith('cpu_'):  # the CPU recipe's values, taken by name, never altered
            assert value == CPU_RECIPE[key]
        elif key == 'base_lr':
            assert cfg.optim_wrapper.optimizer.lr == value
        elif key == 'dataset_type':
            assert {d.dataset.type for d in _dataloaders(cfg)} == {value}
        elif key == 'data_root':  # joined by mmengine, or used as typed (templates)
            for loader in _dataloaders(cfg):
                dataset = loader.dataset
                assert osp.join(dataset.data_root, dataset.ann_file).startswith(value)
            assert cfg.val_evaluator.ann_file.startswith(value)
        elif key == 'backend_args':
            loads = [
                t for d in _dataloaders(cfg) for t in d.dataset.pipeline
                if t['type'] == 'LoadImageFromFile'
            ]
            assert loads and {t.get('backend_args') for t in loads} == {value}
        elif key == 'classes':
            assert m.bbox_head.num_classes == len(value)
            for loader in _dataloaders(cfg):
                assert tuple(loader.dataset.metainfo['classes']) == value
        elif key == 'norm_cfg':
            assert m.neck.norm_cfg == m.bbox_head.norm_cfg == value
            assert m.backbone.norm_cfg == cfg.get('backbone_norm_cfg', value)
        elif key == 'input_norm':
            assert m.data_preprocessor.mean == value['mean']
            assert m.data_preprocessor.std == value['std']
        elif key == 'image_dir':  # the folder itself, or split folders under it
            for loader in _dataloaders(cfg):
                assert loader.dataset.data_prefix.img.startswith(value)
        elif key == 'backbone_norm_cfg':
            assert m.backbone.norm_cfg == value
        else:
            raise AssertionError(f'{name}: top-level {key}={value!r} is not checked against '
                                 f'where it is used; add it to this test')
    return checked


@pytest.mark.parametrize('name', ALL_CONFIGS)
def test_every_top_level_value_agrees_with_model_and_table(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    checked = _check_top_level(name, cfg)
    assert 'level' in checked and 'image_size' in checked
    # automl trains D7/D7x for 600 epochs, the others for 300
    if name.startswith('efficientdet_d7'):
        assert cfg.max_epochs == 600 and '600e' in name


@pytest.mark.parametrize('level', LEVELS)
def test_level_configs_match_the_table(level):
    ref = get_efficientdet_scale(level)
    cfg = _config(level)
    m = cfg.model
    assert cfg.level == level and cfg.image_size == ref.image_size
    assert m.backbone.arch == ref.backbone
    assert (m.neck.out_channels, m.neck.num_stages, m.neck.fusion,
            m.neck.num_outs) == (ref.bifpn_channels, ref.bifpn_repeats, ref.fusion, ref.num_levels)
    assert (m.bbox_head.in_channels, m.bbox_head.stacked_convs,
            m.bbox_head.num_levels) == (ref.bifpn_channels, ref.head_repeats, ref.num_levels)
    assert m.bbox_head.anchor_generator.octave_base_scale == ref.anchor_scale
    assert m.bbox_head.anchor_generator.strides == ref.strides
    from mmdet_efficientdet.config_utils import level_size_divisor
    assert m.data_preprocessor.pad_size_divisor == level_size_divisor(level)
    assert (m.data_preprocessor.mean, m.data_preprocessor.std) == (list(ref.pixel_mean),
                                                                   list(ref.pixel_std))
    assert m.neck.act_cfg == m.bbox_head.act_cfg == dict(type=ref.act)
    # trained like automl: from the ImageNet checkpoint, with the padding and
    # BN it was trained with, automl's anchors and assignment
    from mmdet_efficientdet.scaling import EFFICIENTNET_SCALES, efficientdet_drop_path_rate
    assert m.backbone.init_cfg.type == 'ImageNetPretrained'
    imagenet = EFFICIENTNET_SCALES[ref.backbone].imagenet
    assert m.backbone.init_cfg.checkpoint == imagenet if '://' in imagenet \
        else m.backbone.init_cfg.checkpoint.endswith(
            f'/timm/{imagenet}/resolve/main/pytorch_model.bin')
    assert m.backbone.same_padding and m.neck.same_padding
    assert m.backbone.norm_cfg == dict(type='EffDetBN', eps=1e-3, momentum=0.01)
    assert m.backbone.drop_path_rate == efficientdet_drop_path_rate(ref.backbone)
    assert m.bbox_head.anchor_generator.type == 'TFAnchorGenerator'
    assert m.train_cfg.assigner.gt_max_assign_all is False
    assert m.bbox_head.loss_normalizer == 'automl'


def test_a_stale_top_level_value_is_caught():
    """The check fails on a child that leaves an inherited value behind."""
    cfg = _config('d3')
    cfg.max_epochs = 300
    cfg.train_cfg.max_epochs = 600
    with pytest.raises(AssertionError):
        _check_top_level('efficientdet_d3_8xb16-300e_coco.py', cfg)
    cfg = _config('d3')
    cfg.bifpn_channels = 64  # a top-level name nothing checks
    with pytest.raises(AssertionError, match='bifpn_channels=64'):
        _check_top_level('efficientdet_d3_8xb16-300e_coco.py', cfg)


@pytest.mark.parametrize('level', LEVELS)
def test_config_builds_and_runs_forward(level):
    cfg = _config(level)
    cfg.model.bbox_head.num_classes = 4
    model = MODELS.build(cfg.model).eval()
    stride = cfg.model.data_preprocessor.pad_size_divisor
    height, width = (stride, 2 * stride) if level >= 'd4' and \
        not level.startswith('lite') else (3 * stride, 2 * stride)
    with torch.no_grad():
        cls_scores, bbox_preds = model._forward(torch.rand(1, 3, height, width))
    ref = get_efficientdet_scale(level)
    assert [tuple(c.shape[-2:]) for c in cls_scores] == [(-(-height // s), -(-width // s))
                                                         for s in ref.strides]
    assert all(c.shape[1] == 9 * 4 for c in cls_scores)
    assert all(b.shape[1] == 9 * 4 for b in bbox_preds)


def test_d0_params_and_flops_match_paper():
    cfg = _config('d0')
    cfg.model.bbox_head.num_classes = 90  # the paper's COCO head
    cx = measure_complexity(MODELS.build(cfg.model), 512, 512)
    ref = EFFICIENTDET_SCALES['d0']
    assert abs(cx.params / 1e6 / ref.params_m - 1) <= 0.02
    assert abs(cx.flops / 1e9 / ref.flops_g - 1) <= 0.05
    # no depthwise bias in the prediction convs (automl SeparableConv2D)
    assert cx.params == 3_877_763


@pytest.mark.parametrize('level', list(EFFICIENTDET_LITE_SCALES))
def test_lite_params_within_2pct_of_effdet(level):
    """EfficientDet-Lite parameters (90-class head) against effdet's
    tf_efficientdet_liteN (the table's params_m)."""
    from mmdet_efficientdet.measure.complexity import count_params
    cfg = _config(level)
    cfg.model.bbox_head.num_classes = 90
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    ref = EFFICIENTDET_LITE_SCALES[level]
    params = count_params(model)
    assert abs(params / 1e6 / ref.params_m - 1) <= 0.02
    # ReLU6 everywhere, no squeeze-excitation, no fusion weights
    acts = {
        type(m).__name__
        for m in model.modules() if type(m).__name__ in ('ReLU6', 'SiLU', 'Swish')
    }
    assert acts == {'ReLU6'}
    assert not any(n.endswith('fusion.weight') or '.se.' in n for n, _ in model.named_parameters())


def test_finetune_example_config_is_consistent():
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'custom', 'efficientdet_d0_finetune_custom-coco.py'))
    classes = cfg.metainfo['classes']
    assert cfg.model.bbox_head.num_classes == len(classes) == 2
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        assert loader.dataset.metainfo['classes'] == classes
        # the templates' convention: paths as typed to the converter
        assert loader.dataset.data_root == ''
        assert loader.dataset.ann_file.startswith(cfg.data_root)
        assert loader.dataset.data_prefix.img == cfg.image_dir
        assert loader.dataset.type == 'CheckedCocoDataset'
    assert cfg.val_evaluator.ann_file.startswith(cfg.data_root)
    assert cfg.load_from and cfg.train_cfg.max_epochs == 40
    # inherited from D0: 512 input, TF BN eps; the CPU fine-tuning recipe:
    # AdamW 2e-3, no EMA, BN momentum 0.1, jitter 0.5-1.5, stem + stage 0
    # frozen, evaluation every 2 epochs keeping the best checkpoint
    assert cfg.image_size == 512
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.optim_wrapper.optimizer.lr == 2e-3
    assert cfg.custom_hooks == []
    assert cfg.model.backbone.frozen_stages == 1
    assert cfg.model.backbone.norm_cfg == dict(type='EffDetBN', eps=1e-3, momentum=0.1)
    jitter = [t for t in cfg.train_dataloader.dataset.pipeline if t.type == 'RandomResize']
    assert jitter[0].ratio_range == (0.5, 1.5)
    assert jitter[0].scale == (512, 512)
    assert cfg.train_cfg.val_interval == 2
    assert cfg.default_hooks.checkpoint.save_best == 'coco/bbox_mAP'
    model = MODELS.build(cfg.model)
    assert model.bbox_head.cls_pred.pointwise_conv.conv.out_channels == 9 * 2


def test_progressive_learning_config():
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'efficientdet_v2-s_progressive_8xb16-300e_coco.py'))
    assert cfg.model.backbone.arch == 'v2_s' and cfg.image_size == 1024
    assert [h.type for h in cfg.custom_hooks] == ['EMAHook', 'ProgressiveLearningHook']
    from mmdet.registry import HOOKS
    hook = HOOKS.build(cfg.custom_hooks[1])
    stages = [hook.stage_settings(i) for i in range(4)]
    assert [s.image_size for s in stages] == [512, 640, 896, 1024]
    assert stages[-1].pipeline_params['RandomResize.ratio_range'] == (0.1, 2.0)
    # the last stage trains exactly as the plain V2-S config
    train = {t['type']: t for t in cfg.train_dataloader.dataset.pipeline}
    assert tuple(train['RandomResize']['ratio_range']) == (0.1, 2.0)
    assert tuple(train['RandomCrop']['crop_size']) == (1024, 1024)


def test_weight_decay_on_kernels_only():
    """automl's L2 loss covers conv/dense kernels, not biases, BN or the
    BiFPN fusion weights."""
    from mmengine.optim import build_optim_wrapper
    cfg = _config('d0')
    cfg.model.bbox_head.num_classes = 3
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.named_parameters()}
    decay = {
        names[id(p)]: g['weight_decay']
        for g in wrapper.optimizer.param_groups
        for p in g['params']
    }
    assert decay['backbone.stem.conv.weight'] == 4e-5
    assert decay['bbox_head.cls_pred.depthwise_conv.conv.weight'] == 4e-5
    assert decay['backbone.stem.bn.weight'] == 0
    assert decay['bbox_head.cls_pred.pointwise_conv.conv.bias'] == 0
    fusion = [n for n in decay if n.endswith('.fusion.weight')]
    assert fusion and all(decay[n] == 0 for n in fusion)
    kernels = [n for n in decay if n.endswith('conv.weight')]
    assert all(decay[n] == 4e-5 for n in kernels)
