# EfficientDet at a fractional compound coefficient (phi = 1.5), built by the
# paper's scaling rules (mmdet_efficientdet.scaling.compound_level): input 768,
# W_bifpn 104, D_bifpn 5, D_class 3, EfficientNet-B1 backbone (ImageNet
# weights exist for it). A thin child of the D0 config, like the D-levels; the
# level is data, so tests/test_configs.py checks it against the rule.
_base_ = '../efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import level_image_size  # noqa: E402
from mmdet_efficientdet.config_utils import level_model, with_image_size

level = dict(_delete_=True, phi=1.5)  # replaces the parent's 'd0'
image_size = level_image_size(level)
model = level_model(level)
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
