# EfficientDet-D0 with a stride-4 P2 level (P2-P7), for small objects: a child of the
# D0 config that changes only the level. Its numbers are row 'd0-p2' of
# mmdet_efficientdet.scaling.EFFICIENTDET_P2_SCALES (D0's row with
# min_level=2): the backbone's stride-4 stage feeds the BiFPN (its node list
# grows by two nodes a layer) and the head gets a sixth level of anchors, 16 px
# at stride 4. ImageNet initialisation is D0's. Params and GMACs:
# tools/analysis_tools/model_table.py --levels d0 d0-p2.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import level_model  # noqa: E402

level = 'd0-p2'
model = level_model(level)
