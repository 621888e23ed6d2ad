# Small objects in large images: EfficientDet-Lite0 with a stride-4 P2 level,
# fine-tuned on the aerial-cars photos (10-60 px cars in 684x547 to 4000x2250
# frames) and tested by sliced inference on the full images.
#
#   1. YOLO labels -> COCO json, val = whole video sequences:
#        .venv/bin/python tools/dataset_converters/labelled_to_coco.py \
#            --images ../shared/data/aerial_cars/images \
#            --yolo ../shared/data/aerial_cars/labels \
#            --names ../shared/data/aerial_cars/classes.txt \
#            --group-regex '^(.*?)-?\d+\.\w+$' --val-fraction 0.25 --out data/aerial_coco
#   2. .venv/bin/python tools/train.py THIS_CONFIG
#   3. .venv/bin/python tools/test.py THIS_CONFIG CKPT  (COCO AP on the full
#      images, AP_small included: the tiles are merged inside predict)
#
# Sliced inference (model.test_cfg.slice): each test image keeps its
# resolution (sliced_test_pipeline) and is cut into 320 px tiles overlapping
# by 20 %, run as one batch with the whole image resized to one more tile (the
# large objects), the views merged greedily by intersection-over-smaller
# (SAHI's GREEDYNMM).
#
# Tiled training (train_dataloader's pipeline below): each step cuts a 320 px
# window from an image at its own resolution (ObjectTileCrop: 80 % of windows
# on an object, the rest anywhere, mostly background; a box cut by the window
# edge is kept when half of it is inside). Set train_pipeline =
# _base_.train_pipeline to train on whole images resized to 320 instead.
_base_ = '../custom/efficientdet_lite0_finetune_custom-coco.py'
from mmdet_efficientdet.config_utils import level_model, sliced_test_pipeline  # noqa: E402

# ---- change these ----------------------------------------------------------
data_root = 'data/aerial_coco/'  # --out of labelled_to_coco.py
image_dir = '../shared/data/aerial_cars/images/'  # --images of labelled_to_coco.py
classes = ('car', 'truck', 'bus', 'minibus', 'cyclist')  # classes.txt, in its order
# -----------------------------------------------------------------------------

level = 'lite0-p2'
metainfo = dict(classes=classes)
model = dict(
    backbone=level_model(level)['backbone'],
    neck=level_model(level)['neck'],
    bbox_head=dict(level_model(level)['bbox_head'], num_classes=len(classes)),
    test_cfg=dict(
        nms_pre=1000,  # per tile (the D0 config scores 5000 per image)
        max_per_img=300,
        slice=dict(
            tile=320,
            overlap=0.2,
            merge='greedy_nmm',
            merge_threshold=0.5,
            match_metric='ios',
            full_image=True)))
test_pipeline = sliced_test_pipeline(_base_.test_pipeline)
train_pipeline = [  # whole images resized to 320 instead: _base_.train_pipeline
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='ObjectTileCrop', tile=320, object_prob=0.8, min_visible=0.5),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=(320, 320), pad_val=_base_.train_pipeline[-2].pad_val),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        pipeline=train_pipeline,
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_train.json',
        data_prefix=dict(img=image_dir)))
val_dataloader = dict(
    batch_size=1,
    dataset=dict(
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_val.json',
        data_prefix=dict(img=image_dir),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
