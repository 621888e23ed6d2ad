# EfficientDet with an EfficientNetV2-B0 backbone: a child of the D0 config that
# swaps the backbone (Fused-MBConv early stages) and keeps D0's BiFPN, head and
# input size. Numbers: row 'v2-b0' of mmdet_efficientdet.scaling.EFFICIENTDET_V2_SCALES.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'

model = dict(
    backbone=dict(arch='v2_b0'),
    neck=dict(in_channels=[48, 112, 192]))
