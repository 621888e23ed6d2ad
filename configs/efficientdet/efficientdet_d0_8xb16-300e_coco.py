# EfficientDet-D0 on COCO: the complete config. D1-D7x are thin children of it.
#
# Every number that differs between levels (input size, backbone, BiFPN and
# head width/depth, fusion, anchor scale, pyramid levels) is read from the
# level's row of mmdet_efficientdet.scaling (paper Table 1 / google/automl
# hparams_config.py): `level` names the row, `level_image_size` and
# `level_model` read it. tests/test_configs.py checks every config's top-level
# values against its model and that table. Training recipe: automl
# hparams_config.py defaults.
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmdet_efficientdet'], allow_failed_imports=False)
from mmdet_efficientdet.config_utils import automl_schedule  # noqa: E402
from mmdet_efficientdet.config_utils import level_image_size, mean_pad_val, with_level_model
from mmdet_efficientdet.models.layers import tf_bn_cfg  # noqa: E402

level = 'd0'  # row of mmdet_efficientdet.scaling (children set their own)
image_size = level_image_size(level)  # 512
norm_cfg = tf_bn_cfg()  # TF BN: eps 1e-3, decay 0.99 (momentum 0.01)

model = dict(
    type='EfficientDet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        bgr_to_rgb=True,
        # mean/std (ImageNet's; (x - 127) / 128 for Lite) and pad_size_divisor
        # (the coarsest stride: 128; 256 with P8): from the level
    ),
    backbone=dict(
        type='EfficientNetBackbone',
        # From the level: arch, out_indices, drop_path_rate (automl
        # efficientdet_arch.build_backbone: none for B0, 0.2 for B1-B7) and
        # init_cfg: the ImageNet checkpoint automl/effdet start from
        # (tf_efficientnet_bN.aa_in1k, downloaded once and cached; offline:
        # --cfg-options model.backbone.init_cfg.checkpoint=/path/to/file).
        # Those checkpoints were trained with TF 'SAME' padding and TF BN.
        same_padding=True,
        norm_cfg=norm_cfg,
        norm_eval=False),
    neck=dict(
        type='BiFPN',
        # in/out channels, num_stages (D_bifpn), fusion ('fast'; 'sum' for
        # D6-D7x), min_level, num_outs: from the level
        same_padding=True,  # automl max-pools pad 'SAME'
        norm_cfg=norm_cfg),
    bbox_head=dict(
        type='EfficientDetSepBNHead',
        num_classes=80,
        # in_channels (W_bifpn), stacked_convs (D_class), num_levels: from
        # the level
        norm_cfg=norm_cfg,
        # automl anchors (anchors.py / hparams_config.py): aspect pairs (w, h)
        # (1, 1), (1.4, 0.7), (0.7, 1.4) (TFAnchorGenerator's default), 3
        # octave scales 2**(i/3), centred in their cell; octave_base_scale
        # (automl anchor_scale: size = anchor_scale * stride * 2**(i/3)) and
        # strides: from the level
        anchor_generator=dict(type='TFAnchorGenerator', scales_per_octave=3, center_offset=0.5),
        # automl FasterRcnnBoxCoder without scale factors; decoding without
        # mmdet's 16/1000 size-ratio clamp (automl has none), the same way
        # when exported to ONNX
        bbox_coder=dict(
            type='ConfigurableDeltaXYWHBBoxCoder',
            wh_ratio_clip=None,
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        # automl det_model_fn.py / effdet loss.py: both losses are divided by
        # the positive anchors of the whole batch + 1, and box-loss elements
        # whose target is exactly 0 are dropped
        loss_normalizer='automl',
        mask_zero_box_targets=True,
        # automl: focal loss alpha 0.25, gamma 1.5
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=1.5, alpha=0.25, loss_weight=1.0),
        # automl: Huber(delta=0.1) summed / (4 * (#positives + 1)), times 50.
        # Huber_d(x) = d * SmoothL1_{beta=d}(x), and mmdet divides the sum by
        # the normaliser only, so the weight is 50 * 0.1 / 4 = 1.25.
        loss_bbox=dict(type='SmoothL1Loss', beta=0.1, loss_weight=1.25)),
    train_cfg=dict(
        # automl ArgMaxMatcher(0.5, 0.5, force_match_for_each_row=True)
        # (anchors.py AnchorLabeler): IoU >= 0.5 positive, < 0.5 negative,
        # nothing ignored, and each box's best anchor forced positive: exactly
        # one (gt_max_assign_all=False), whatever its IoU (min_pos_iou=0)
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0,
            gt_max_assign_all=False,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=5000,
        min_bbox_size=0,
        score_thr=0.001,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))
model = with_level_model(model, level)

# ---------------------------------------------------------------------------
# Data: automl scale jitter 0.1-2.0 of the input size, crop, flip.
# ---------------------------------------------------------------------------
backend_args = None
dataset_type = 'CheckedCocoDataset'
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomResize',
        scale=(image_size, image_size),
        ratio_range=(0.1, 2.0),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=(image_size, image_size),
        crop_type='absolute',
        recompute_bbox=False,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    # automl pads with the mean colour (0 after normalisation)
    dict(type='Pad', size=(image_size, image_size), pad_val=mean_pad_val()),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='Pad', size=(image_size, image_size), pad_val=mean_pad_val()),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
# CheckedCocoDataset: mmdet's CocoDataset that warns about the degenerate
# boxes it drops; SafeCocoMetric: CocoMetric reporting 0.0 (not nothing) when
# the model predicts no box.
train_dataloader = dict(
    batch_size=16, num_workers=4, dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SafeCocoMetric')
test_evaluator = val_evaluator

# ---------------------------------------------------------------------------
# Schedule (automl hparams_config.py): SGD momentum 0.9, lr 0.08 per 64
# images, 1 epoch linear warm-up from lr/10 then cosine decay
# (config_utils.automl_schedule), 300 epochs (600 for D7/D7x), gradient-norm
# clipping at 10, EMA decay 0.9998 with TF's warm-up. Weight decay 4e-5 on
# conv/dense kernels only (automl's reg_l2loss skips biases, BN and the BiFPN
# fusion weights).
# ---------------------------------------------------------------------------
max_epochs = 300
base_lr = 0.16  # 0.08 per 64 images at the 8x16 = 128 batch below
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=4e-5),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'.fusion.weight': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = automl_schedule(max_epochs)
auto_scale_lr = dict(enable=False, base_batch_size=128)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# EMA of the weights (automl moving_average_decay 0.9998, decay warm-up
# min(decay, (1 + t) / (10 + t)) as tf.train.ExponentialMovingAverage with
# num_updates); evaluation and checkpoints use the averaged weights.
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='WarmupExponentialMovingAverage',
        momentum=0.0002,
        update_buffers=True,
        priority=49)
]
default_hooks = dict(
    # Stop at the first NaN/inf loss, or at a loss / pre-clipping gradient norm
    # far above any normal run's (finite divergence), before the bad weights
    # are saved; the error names the last checkpoint with good weights.
    non_finite_loss=dict(type='NonFiniteLossHook', max_loss=1e4, max_grad_norm=1e6),
    # mmengine's CheckpointHook with atomic writes (checkpoints, best_*,
    # last_checkpoint) and old files removed only after the new one is saved.
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=10,
        max_keep_ckpts=3,
        save_best='coco/bbox_mAP',
        rule='greater'))
# Cross-replica BN when training on several processes (automl use_tpu/strategy).
sync_bn = 'torch'
