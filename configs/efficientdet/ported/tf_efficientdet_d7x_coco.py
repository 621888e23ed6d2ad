# EfficientDet-D7X for effdet's tf_efficientdet_d7x (ports of the google/automl
# TF checkpoints): the D7X config plus TF 'SAME' padding, automl anchors and
# decoding (mmdet_efficientdet.config_utils.ported_model) and mean-colour
# padding. Convert the weights with tools/model_converters/effdet_to_mmdet.py
# --config THIS_FILE (README "Pretrained weights").
_base_ = '../efficientdet_d7x_8xb16-600e_coco.py'
from mmdet_efficientdet.config_utils import ported_model, with_pad_value  # noqa: E402,E501

model = ported_model(_base_.model)
test_pipeline = with_pad_value(_base_.test_pipeline)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
