# Recipe check, the previous template's recipe on the same data and schedule
# length: SGD lr 0.01 (0.08 per 64 images at batch 8), 1-epoch warm-up +
# cosine, weight EMA, TF BN momentum with the backbone's BN statistics frozen,
# scale jitter 0.1-2.0.
_base_ = './d0_finetune_shapes.py'
from mmdet_efficientdet.models.layers import tf_bn_cfg  # noqa: E402

norm_cfg = tf_bn_cfg()
model = dict(
    backbone=dict(norm_eval=True, norm_cfg=norm_cfg),
    neck=dict(norm_cfg=norm_cfg),
    bbox_head=dict(norm_cfg=norm_cfg))
train_pipeline = [
    dict(t, ratio_range=(0.1, 2.0)) if t['type'] == 'RandomResize' else t
    for t in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
base_lr = 0.01
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=4e-5),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'.fusion.weight': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=0.0,
        by_epoch=True,
        begin=1,
        end=_base_.max_epochs,
        T_max=_base_.max_epochs - 1,
        convert_to_iter_based=True),
]
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='WarmupExponentialMovingAverage',
        momentum=0.0002,
        update_buffers=True,
        priority=49)
]
