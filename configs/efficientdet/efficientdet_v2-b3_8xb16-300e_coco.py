# EfficientDet with an EfficientNetV2-B3 backbone: a child of the D3 config that
# swaps the backbone (Fused-MBConv early stages) and keeps D3's BiFPN, head and
# input size. Its numbers are row 'v2-b3' of
# mmdet_efficientdet.scaling.EFFICIENTDET_V2_SCALES (read by level_model).
_base_ = './efficientdet_d3_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import level_model  # noqa: E402

level = 'v2-b3'
model = level_model(level)
