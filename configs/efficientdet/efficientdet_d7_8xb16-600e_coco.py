# EfficientDet-D7: a thin child of the complete D0 config. Its numbers are
# row 'd7' of mmdet_efficientdet.scaling.EFFICIENTDET_SCALES (paper Table 1 /
# google/automl hparams_config.py), read by level_image_size / level_model.
# Official table: input 1536 (rule: 1408), backbone B6, D_bifpn 8
# (rule: 10), plain-sum fusion, anchor scale 5.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import automl_schedule  # noqa: E402
from mmdet_efficientdet.config_utils import level_image_size, level_model, with_image_size

level = 'd7'
image_size = level_image_size(level)
model = level_model(level)
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# automl README: D7/D7x train 600 epochs
max_epochs = 600
param_scheduler = automl_schedule(max_epochs)
train_cfg = dict(max_epochs=max_epochs)
