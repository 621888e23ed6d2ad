# EfficientDet-Lite3: a thin child of the complete D0 config. Its numbers are
# row 'lite3' of mmdet_efficientdet.scaling.EFFICIENTDET_LITE_SCALES (google/automl
# hparams_config.py efficientdet_lite_param_dict): EfficientNet-Lite backbone
# (no SE, ReLU6), ReLU6 in the BiFPN and heads, plain-sum fusion, input
# (x - 127) / 128 and padding with that mean colour; the recipe is D0's.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import level_image_size  # noqa: E402
from mmdet_efficientdet.config_utils import (level_model, level_pad_value, with_image_size,
                                             with_pad_value)

level = 'lite3'
image_size = level_image_size(level)
model = level_model(level)
train_pipeline = with_pad_value(
    with_image_size(_base_.train_pipeline, image_size), level_pad_value(level))
test_pipeline = with_pad_value(
    with_image_size(_base_.test_pipeline, image_size), level_pad_value(level))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
