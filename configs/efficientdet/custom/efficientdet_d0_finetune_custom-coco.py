# Fine-tune EfficientDet-D0 on your own COCO-format dataset.
#
# Copy this file, then change the marked lines (data_root, classes, the
# annotation/image paths, load_from). Everything else is inherited from the
# complete D0 config (model, augmentation, EMA, COCO metric).
#
#   .venv/bin/python tools/train.py \
#       configs/efficientdet/custom/efficientdet_d0_finetune_custom-coco.py
#
# load_from: a checkpoint trained on other classes (e.g. COCO, or one converted
# with tools/model_converters). Every weight loads except the class-prediction
# conv (`bbox_head.cls_pred.pointwise_conv.conv.{weight,bias}`), whose shape
# depends on the number of classes: mmengine logs it as
# "size mismatch for bbox_head.cls_pred..." and keeps its fresh initialisation
# (bias -log(99), i.e. prior 0.01). No other key is skipped; the log lists every
# one that is.
_base_ = '../efficientdet_d0_8xb16-300e_coco.py'

# ---- change these ----------------------------------------------------------
data_root = 'data/my_dataset/'  # holds annotations/ train/ val/
classes = ('cat', 'dog')  # order = label index; names as in the json
load_from = 'checkpoints/efficientdet_d0_coco.pth'
# -----------------------------------------------------------------------------

metainfo = dict(classes=classes)
model = dict(
    # keep the pretrained stem + first stage fixed and BN statistics frozen in
    # the backbone: small datasets cannot re-estimate them well
    # (load_from replaces every weight: no ImageNet backbone download first)
    backbone=dict(frozen_stages=1, norm_eval=True, init_cfg=None),
    bbox_head=dict(num_classes=len(classes)))

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        # images without boxes are kept as negatives
        filter_cfg=dict(filter_empty_gt=False)))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

# Fine-tuning schedule: 50 epochs, lr 0.08 per 64 images scaled to batch 8
# (0.01), same warm-up + cosine shape as the base recipe. With a different
# total batch size enable auto_scale_lr (base_batch_size=8) on the command
# line: --auto-scale-lr.
max_epochs = 50
base_lr = 0.01
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs, T_max=max_epochs - 1, convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
default_hooks = dict(checkpoint=dict(interval=5))
