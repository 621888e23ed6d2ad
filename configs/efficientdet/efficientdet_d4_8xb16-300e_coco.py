# EfficientDet-D4: a thin child of the complete D0 config.
# Numbers: row 'd4' of mmdet_efficientdet.scaling.EFFICIENTDET_SCALES
# (paper Table 1 / google/automl hparams_config.py); tests check them.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import with_image_size  # noqa: E402

image_size = 1024
model = dict(
    backbone=dict(arch='b4'),
    neck=dict(
        in_channels=[56, 160, 448], out_channels=224, num_stages=7),
    bbox_head=dict(
        in_channels=224, stacked_convs=4))
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
