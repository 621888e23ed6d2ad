# EfficientDet-D4: a thin child of the complete D0 config. Its numbers are
# row 'd4' of mmdet_efficientdet.scaling.EFFICIENTDET_SCALES (paper Table 1 /
# google/automl hparams_config.py), read by level_image_size / level_model.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import level_image_size  # noqa: E402
from mmdet_efficientdet.config_utils import level_model, with_image_size

level = 'd4'
image_size = level_image_size(level)
model = level_model(level)
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
