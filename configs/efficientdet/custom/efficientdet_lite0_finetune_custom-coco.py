# Fine-tune EfficientDet-Lite0 (ImageNet-initialised backbone, installed
# offline with the package requirements) on your own photos, on a CPU.
#
#   1. labelled folder -> COCO json (the images stay where they are):
#        .venv/bin/python tools/dataset_converters/labelled_to_coco.py \
#            --images data/my_photos --xml data/my_labels --out data/my_dataset
#   2. copy this file, change the marked lines, then
#        .venv/bin/python tools/train.py MY_CONFIG
#
# The recipe is for a few hundred photos on 2 CPU cores (measured on 200
# raccoon photos: README "Fine-tuning on your own photos"); each choice and
# why:
#   * AdamW lr 2e-3 (SGD 0.01 with the COCO recipe's EMA reached AP 0.006 after
#     10 epochs on the same photos: the randomly initialised BiFPN and heads
#     need an adaptive optimiser to move in a few hundred iterations),
#     1 linear warm-up of 50 iterations, cosine decay to 0,
#   * no weight EMA and BN momentum 0.1 instead of TF's 0.01: with ~800
#     iterations, averaged weights and running statistics would still be
#     close to their initial values when evaluated,
#   * scale jitter 0.5-1.5 (not 0.1-2.0) + flip: enough regularisation for a
#     40-epoch run that must converge,
#   * stem and first stage frozen (ImageNet edges need no re-learning),
#   * evaluation every 2 epochs on the val split, the best checkpoint kept
#     (best_coco_bbox_mAP_epoch_N.pth).
#
# Two starts:
#   * ImageNet (default, offline): the backbone from the installed Lite0
#     ImageNet weights, BiFPN and heads from scratch (load_from = None);
#   * COCO detection weights (online once; better on a few hundred photos):
#        .venv/bin/python tools/model_converters/coco_weights.py lite0
#     writes checkpoints/efficientdet_lite0_coco.pth; set load_from to it.
#     Every layer but the class conv then starts trained (mmengine logs the
#     class conv's "size mismatch" and starts it afresh), and the input
#     normalisation becomes the one those weights were trained with.
#
# Small objects in large images (drone, pole, inspection photos: 10-50 px
# objects in 1080p-4K frames): configs/efficientdet/small_objects/ adds to this
# template a P2 level (level 'lite0-p2'), tiled training (ObjectTileCrop in
# the train pipeline) and sliced inference (model.test_cfg.slice with
# sliced_test_pipeline); docs/small_objects.md.
_base_ = ['../efficientdet_lite0_8xb16-300e_coco.py', '../_base_/schedules/cpu_finetune_adamw.py']
from mmdet_efficientdet.config_utils import effdet_input_norm  # noqa: E402
from mmdet_efficientdet.models.layers import tf_bn_cfg  # noqa: E402

# ---- change these ----------------------------------------------------------
# Paths as you typed them to labelled_to_coco.py: relative to the folder you
# run the tools from (the repository), or absolute. Both splits read their
# images from the one image_dir (the converter's layout; file names in the
# json are relative to it).
data_root = 'data/my_dataset/'  # --out of labelled_to_coco.py: holds annotations/
image_dir = 'data/my_photos/'  # --images of labelled_to_coco.py
classes = ('cat', 'dog')  # order = label index; names exactly as in the json
load_from = None  # or 'checkpoints/efficientdet_lite0_coco.pth' (COCO start, above)
# -----------------------------------------------------------------------------

metainfo = dict(classes=classes)
norm_cfg = dict(tf_bn_cfg(), momentum=0.1)  # TF eps, faster BN statistics
model = dict(
    backbone=dict(frozen_stages=1, norm_cfg=norm_cfg),
    neck=dict(norm_cfg=norm_cfg),
    bbox_head=dict(num_classes=len(classes), norm_cfg=norm_cfg))
if load_from:  # COCO start: those weights' normalisation, no ImageNet init first
    model.update(data_preprocessor=effdet_input_norm('lite0'))
    model['backbone']['init_cfg'] = None

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=(320, 320), ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=(320, 320),
        crop_type='absolute',
        recompute_bbox=False,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(320, 320), pad_val=_base_.train_pipeline[-2].pad_val),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        data_root='',  # data_root/image_dir above are used as typed, not joined
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_train.json',
        data_prefix=dict(img=image_dir),
        filter_cfg=dict(filter_empty_gt=False),  # images without boxes: negatives
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
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
