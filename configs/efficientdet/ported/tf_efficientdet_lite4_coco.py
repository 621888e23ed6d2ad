# EfficientDet-Lite4 for effdet's tf_efficientdet_lite4 weights: the Lite4
# config plus automl anchors and decoding (mmdet_efficientdet.config_utils.
# ported_model) and effdet's input normalisation for its Lite weights
# (mean = std = 0.5 of 255). Convert with tools/model_converters/effdet_to_mmdet.py
# --config THIS_FILE.
_base_ = '../efficientdet_lite4_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import effdet_input_norm, ported_model  # noqa: E402

model = ported_model(_base_.model)
model.update(data_preprocessor=effdet_input_norm('lite4'))  # effdet's Lite weights
