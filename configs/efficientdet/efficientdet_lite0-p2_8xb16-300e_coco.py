# EfficientDet-Lite0 with a stride-4 P2 level (P2-P7), for small objects: the
# Lite0 config with only the level changed: row 'lite0-p2' of
# mmdet_efficientdet.scaling.EFFICIENTDET_P2_SCALES (Lite0's row with
# min_level=2): the backbone's stride-4 stage feeds the BiFPN and the head gets
# a sixth level of anchors, 12 px at stride 4 (anchor scale 3). ImageNet
# initialisation is Lite0's (offline). Params and GMACs:
# tools/analysis_tools/model_table.py --levels lite0 lite0-p2.
_base_ = './efficientdet_lite0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import level_model  # noqa: E402

level = 'lite0-p2'
model = level_model(level)
