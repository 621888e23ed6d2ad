# EfficientDet-D1 for effdet's PyTorch-trained efficientdet_d1: symmetric
# padding and a PyTorch-style backbone (timm efficientnet_b1, BN eps 1e-5);
# BiFPN and heads keep TF BN. See tf_efficientdet_d1_coco.py.
_base_ = '../efficientdet_d1_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import ported_model, with_pad_value  # noqa: E402,E501

backbone_norm_cfg = dict(type='BN', eps=1e-5, momentum=0.1)  # PyTorch BN
model = ported_model(_base_.model, same_padding=False, backbone_norm_cfg=backbone_norm_cfg)
test_pipeline = with_pad_value(_base_.test_pipeline)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
