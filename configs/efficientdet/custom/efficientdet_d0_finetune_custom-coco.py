# Fine-tune EfficientDet-D0 from a detection checkpoint (trained on other
# classes: COCO, or one converted with tools/model_converters) on your own
# COCO-format dataset, on a CPU.
#
#   1. labelled folder -> COCO json (the images stay where they are):
#        .venv/bin/python tools/dataset_converters/labelled_to_coco.py \
#            --images data/my_photos --xml data/my_labels --out data/my_dataset
#   2. copy this file, change the marked lines, then
#        .venv/bin/python tools/train.py MY_COPY_OF_THIS_FILE
#
# The data convention is the Lite0 template's (one image folder, the json
# files under data_root/annotations/). The recipe is the one measured
# for EfficientDet-Lite0 on 200 real photos (efficientdet_lite0_finetune_
# custom-coco.py, docs/training.md), which also beats the previous SGD + EMA
# recipe of this template when fine-tuning D0 from a checkpoint of other
# classes (docs/training.md "D0 from a detection checkpoint"; configs in
# custom/recipe_check/):
#   * AdamW lr 2e-3, 50-iteration linear warm-up, cosine decay to 0: the new
#     class layer and the adapting BiFPN/heads move in a few hundred
#     iterations (SGD 0.01 + EMA barely moves them: AP 0.006 after 10 epochs
#     on real photos),
#   * no weight EMA and BN momentum 0.1 instead of TF's 0.01: with ~1000
#     iterations, averaged weights and running statistics would still be
#     close to the source model's when evaluated,
#   * scale jitter 0.5-1.5 (not 0.1-2.0) + flip: enough regularisation for a
#     run that must converge in 40 epochs,
#   * stem and first stage frozen (the source's edges need no re-learning),
#   * evaluation every 2 epochs, the best checkpoint kept.
#
# load_from: every weight loads except the class-prediction conv
# (`bbox_head.cls_pred.pointwise_conv.conv.{weight,bias}`), whose shape
# depends on the number of classes: mmengine logs it as
# "size mismatch for bbox_head.cls_pred..." and keeps its fresh initialisation
# (bias -log(99), i.e. prior 0.01). No other key is skipped; the log lists every
# one that is.
_base_ = ['../efficientdet_d0_8xb16-300e_coco.py', '../_base_/schedules/cpu_finetune_adamw.py']
from mmdet_efficientdet.models.layers import tf_bn_cfg  # noqa: E402

# ---- change these ----------------------------------------------------------
# Paths as you typed them to labelled_to_coco.py: relative to the folder you
# run the tools from (the repository), or absolute. Both splits read their
# images from the one image_dir (the converter's layout; file names in the
# json are relative to it).
data_root = 'data/my_dataset/'  # --out of labelled_to_coco.py: holds annotations/
image_dir = 'data/my_photos/'  # --images of labelled_to_coco.py
classes = ('cat', 'dog')  # order = label index; names exactly as in the json
load_from = 'checkpoints/efficientdet_d0_coco.pth'  # see below
# -----------------------------------------------------------------------------

metainfo = dict(classes=classes)
norm_cfg = dict(tf_bn_cfg(), momentum=0.1)  # TF eps, faster BN statistics
model = dict(
    # load_from replaces every weight: no ImageNet backbone download first
    backbone=dict(frozen_stages=1, norm_cfg=norm_cfg, init_cfg=None),
    neck=dict(norm_cfg=norm_cfg),
    bbox_head=dict(num_classes=len(classes), norm_cfg=norm_cfg))

image_size = _base_.image_size
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomResize',
        scale=(image_size, image_size),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=(image_size, image_size),
        crop_type='absolute',
        recompute_bbox=False,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(image_size, image_size), pad_val=_base_.train_pipeline[-2].pad_val),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root='',  # data_root/image_dir above are used as typed, not joined
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_train.json',
        data_prefix=dict(img=image_dir),
        # images without boxes are kept as negatives
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root='',  # data_root/image_dir above are used as typed, not joined
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_val.json',
        data_prefix=dict(img=image_dir)))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')  # as typed
test_evaluator = val_evaluator

max_epochs = 40
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
# the CPU fine-tune recipe, its one home: ../_base_/schedules/cpu_finetune_adamw.py
base_lr = _base_.cpu_base_lr
optim_wrapper = dict(_base_.cpu_optim_wrapper, _delete_=True)
param_scheduler = _base_.cpu_param_scheduler  # warm-up, cosine to 0 at max_epochs
auto_scale_lr = _base_.cpu_auto_scale_lr
custom_hooks = []  # no EMA (see above)
default_hooks = _base_.cpu_default_hooks
log_processor = _base_.cpu_log_processor
