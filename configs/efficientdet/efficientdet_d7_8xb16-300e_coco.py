# EfficientDet-D7: a thin child of the complete D0 config.
# Numbers: row 'd7' of mmdet_efficientdet.scaling.EFFICIENTDET_SCALES
# (paper Table 1 / google/automl hparams_config.py); tests check them.
# Official table: input 1536 (rule: 1408), backbone B6, D_bifpn 8
# (rule: 10), plain-sum fusion, anchor scale 5.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import with_image_size  # noqa: E402

image_size = 1536
model = dict(
    backbone=dict(arch='b6'),
    neck=dict(
        in_channels=[72, 200, 576], out_channels=384, num_stages=8,
        fusion='sum'),
    bbox_head=dict(
        in_channels=384, stacked_convs=5,
        anchor_generator=dict(octave_base_scale=5)))
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
