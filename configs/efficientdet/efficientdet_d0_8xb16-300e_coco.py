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
custom_imports = dict(
    imports=['mmdet_efficientdet'], allow_failed_imports=False)
from mmdet_efficientdet.config_utils import (level_image_size,  # noqa: E402
                                             with_level_model)
from mmdet_efficientdet.models.layers import tf_bn_cfg  # noqa: E402

level = 'd0'  # row of mmdet_efficientdet.scaling (children set their own)
image_size = level_image_size(level)  # 512
norm_cfg = tf_bn_cfg()  # TF BN: eps 1e-3, decay 0.99 (momentum 0.01)

model = dict(
    type='EfficientDet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        # pad_size_divisor: the coarsest stride (128; 256 with P8), from the level
    ),
    backbone=dict(
        type='EfficientNetBackbone',
        # arch, out_indices: from the level
        drop_path_rate=0.2,  # automl survival_prob 0.8
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        type='BiFPN',
        # in/out channels, num_stages (D_bifpn), fusion ('fast'; 'sum' for
        # D6-D7x), min_level, num_outs: from the level
        norm_cfg=norm_cfg),
    bbox_head=dict(
        type='EfficientDetSepBNHead',
        num_classes=80,
        # in_channels (W_bifpn), stacked_convs (D_class), num_levels: from
        # the level
        norm_cfg=norm_cfg,
        anchor_generator=dict(
            type='AnchorGenerator',
            # octave_base_scale (automl anchor_scale: anchor size =
            # anchor_scale * stride * 2**(i/3)) and strides: from the level
            scales_per_octave=3,  # 2**0, 2**(1/3), 2**(2/3)
            ratios=[0.5, 1.0, 2.0],
            center_offset=0.5),  # automl anchors are centred in their cell
        # mmdet's DeltaXYWHBBoxCoder (its 16/1000 size-ratio clamp), decoding
        # the same way when exported to ONNX; ported configs drop the clamp
        bbox_coder=dict(
            type='ConfigurableDeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        # automl: focal loss alpha 0.25, gamma 1.5, normalised by #positives
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=1.5,
            alpha=0.25,
            loss_weight=1.0),
        # automl: Huber(delta=0.1) summed / (4 * #positives), times 50.
        # Huber_d(x) = d * SmoothL1_{beta=d}(x), and mmdet divides the sum by
        # #positives only, so the weight is 50 * 0.1 / 4 = 1.25.
        loss_bbox=dict(type='SmoothL1Loss', beta=0.1, loss_weight=1.25)),
    train_cfg=dict(
        # automl ArgMaxMatcher(0.5, 0.5, force_match_for_each_row=True)
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0,
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
    dict(type='Pad', size=(image_size, image_size)),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='Pad', size=(image_size, image_size)),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
# CheckedCocoDataset: mmdet's CocoDataset that warns about the degenerate
# boxes it drops; SafeCocoMetric: CocoMetric reporting 0.0 (not nothing) when
# the model predicts no box.
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SafeCocoMetric')
test_evaluator = val_evaluator

# ---------------------------------------------------------------------------
# Schedule (automl): SGD momentum 0.9, weight decay 4e-5 (not on BN),
# lr 0.08 per 64 images, 1 epoch linear warm-up from lr/10, cosine decay,
# 300 epochs, gradient-norm clipping at 10, EMA decay 0.9998.
# ---------------------------------------------------------------------------
max_epochs = 300
base_lr = 0.16  # 0.08 per 64 images at the 8x16 = 128 batch below
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=4e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,  # automl lr_warmup_init 0.008 = 0.08 / 10
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=0.0,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        T_max=max_epochs - 1,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=128)
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# EMA of the weights (automl moving_average_decay 0.9998); evaluation and
# checkpoints use the averaged weights.
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.0002,
        update_buffers=True,
        priority=49)
]
default_hooks = dict(
    # Stop at the first NaN/inf loss, or at a loss / pre-clipping gradient norm
    # far above any normal run's (finite divergence), before the bad weights
    # are saved; the error names the last checkpoint with good weights.
    non_finite_loss=dict(
        type='NonFiniteLossHook', max_loss=1e4, max_grad_norm=1e6),
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
