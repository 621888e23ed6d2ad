# EfficientDet with an EfficientNetV2-B3 backbone: a child of the D3 config that
# swaps the backbone (Fused-MBConv early stages) and keeps D3's BiFPN, head and
# input size. Numbers: row 'v2-b3' of mmdet_efficientdet.scaling.EFFICIENTDET_V2_SCALES.
_base_ = './efficientdet_d3_8xb16-300e_coco.py'

model = dict(
    backbone=dict(arch='v2_b3'),
    neck=dict(in_channels=[56, 136, 232]))
