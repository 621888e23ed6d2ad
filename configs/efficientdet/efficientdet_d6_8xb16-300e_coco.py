# EfficientDet-D6: a thin child of the complete D0 config.
# Numbers: row 'd6' of mmdet_efficientdet.scaling.EFFICIENTDET_SCALES
# (paper Table 1 / google/automl hparams_config.py); tests check them.
# Official table: D_bifpn 8 (rule: 9), plain-sum fusion instead of fast
# normalized fusion.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import with_image_size  # noqa: E402

image_size = 1280
model = dict(
    backbone=dict(arch='b6'),
    neck=dict(
        in_channels=[72, 200, 576], out_channels=384, num_stages=8,
        fusion='sum'),
    bbox_head=dict(
        in_channels=384, stacked_convs=5))
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
