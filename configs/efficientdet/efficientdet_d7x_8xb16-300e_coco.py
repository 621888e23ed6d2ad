# EfficientDet-D7X: a thin child of the complete D0 config.
# Numbers: row 'd7x' of mmdet_efficientdet.scaling.EFFICIENTDET_SCALES
# (paper Table 1 / google/automl hparams_config.py); tests check them.
# Official table: input 1536, backbone B7, D_bifpn 8, plain-sum fusion,
# and one more pyramid level (P3-P8): inputs must be divisible by 256.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import with_image_size  # noqa: E402

image_size = 1536
strides = [8, 16, 32, 64, 128, 256]
model = dict(
    data_preprocessor=dict(pad_size_divisor=strides[-1]),
    backbone=dict(arch='b7'),
    neck=dict(
        in_channels=[80, 224, 640], out_channels=384, num_stages=8,
        fusion='sum', num_outs=len(strides)),
    bbox_head=dict(
        in_channels=384, stacked_convs=5, num_levels=len(strides),
        anchor_generator=dict(strides=strides)))
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
