# EfficientDet-D0 with a stride-4 P2 level (P2-P7), for small objects: a thin
# child of the complete D0 config. Its numbers are row 'd0-p2' of
# mmdet_efficientdet.scaling.EFFICIENTDET_P2_SCALES (D0's row with
# min_level=2): the backbone's stride-4 stage feeds the BiFPN (its node list
# grows by two nodes a layer) and the head gets a sixth level of anchors, 16 px
# at stride 4. ImageNet initialisation is D0's. Params and GMACs:
# tools/analysis_tools/model_table.py --levels d0 d0-p2.
_base_ = './efficientdet_d0_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import level_image_size  # noqa: E402
from mmdet_efficientdet.config_utils import level_model, with_image_size

level = 'd0-p2'
image_size = level_image_size(level)
model = level_model(level)
train_pipeline = with_image_size(_base_.train_pipeline, image_size)
test_pipeline = with_image_size(_base_.test_pipeline, image_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
