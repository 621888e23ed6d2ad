# EfficientDet with an EfficientNetV2-S backbone: a child of the D4 config that
# swaps the backbone (Fused-MBConv early stages) and keeps D4's BiFPN, head and
# input size. Numbers: row 'v2-s' of mmdet_efficientdet.scaling.EFFICIENTDET_V2_SCALES.
_base_ = './efficientdet_d4_8xb16-300e_coco.py'

model = dict(
    backbone=dict(arch='v2_s'),
    neck=dict(in_channels=[64, 160, 256]))
