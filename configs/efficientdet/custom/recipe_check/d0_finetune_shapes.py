# Recipe check, step 2: the D0 fine-tuning template as shipped, at the shapes'
# 128 px, fine-tuning the circles checkpoint (source_circles_d0.py) on squares
# and triangles (docs/training.md "D0 from a detection checkpoint").
_base_ = '../efficientdet_d0_finetune_custom-coco.py'
from mmdet_efficientdet.config_utils import with_image_size  # noqa: E402

image_size = 128
data_root = 'data/shapes_squares_triangles/'
image_dir = data_root  # the shapes keep their images in train/ and val/ under it
classes = ('square', 'triangle')
load_from = 'work_dirs/recipe_check/source/epoch_12.pth'

metainfo = dict(classes=classes)
model = dict(bbox_head=dict(num_classes=len(classes)), test_cfg=dict(nms_pre=1000))
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
# the template's convention: paths as typed
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_train.json',
        data_prefix=dict(img=image_dir + 'train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_val.json',
        data_prefix=dict(img=image_dir + 'val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
