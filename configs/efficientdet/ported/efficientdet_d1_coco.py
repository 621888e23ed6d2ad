# EfficientDet-D1 for effdet's PyTorch-trained weights (efficientdet_d1):
# symmetric padding, no conv biases before BN, and a PyTorch-style backbone
# (timm efficientnet_b1: BatchNorm eps 1e-5); BiFPN and heads keep TF BN.
# Convert with tools/model_converters/effdet_to_mmdet.py --config THIS_FILE.
_base_ = '../efficientdet_d1_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import (tf_anchor_generator,  # noqa: E402
                                             with_pad_value)

model = dict(
    backbone=dict(norm_cfg=dict(type='BN', eps=1e-5, momentum=0.1)),
    bbox_head=dict(
        anchor_generator=tf_anchor_generator(
            _base_.model.bbox_head.anchor_generator),
        # automl decodes without mmdet's 62.5x size-ratio clamp
        bbox_coder=dict(type='ConfigurableDeltaXYWHBBoxCoder',
                        wh_ratio_clip=None)))
test_pipeline = with_pad_value(_base_.test_pipeline)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
