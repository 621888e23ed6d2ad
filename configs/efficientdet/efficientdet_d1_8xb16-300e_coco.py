# EfficientDet-D1: a thin child of the complete D0 config.
# Numbers: row 'd1' of mmdet_efficientdet.scaling.EFFICIENTDET_SCALES
# (paper Table 1 / google/automl hparams_config.py); tests check them.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import with_image_size  # noqa: E402

image_size = 640
model = dict(
    backbone=dict(arch='b1'),
    neck=dict(
        in_channels=[40, 112, 320], out_channels=88, num_stages=4),
    bbox_head=dict(
        in_channels=88, stacked_convs=3))
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
