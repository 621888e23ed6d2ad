# EfficientDet-D4 for the public TF weights (google/automl, as ported by
# rwightman's effdet: tf_efficientdet_d4). Convert them with
#   .venv/bin/python tools/model_converters/effdet_to_mmdet.py \
#       tf_efficientdet_d4.pth tf_efficientdet_d4_mmdet.pth --config THIS_FILE
# Same model as ../efficientdet_d4_8xb16-300e_coco.py, plus what the TF
# weights need: TF 'SAME' padding (backbone stride-2 convs and max-pools),
# automl's anchors ((1.4, 0.7) aspect pairs, scale-major order), box decoding
# without a size-ratio clamp, and the
# mean-colour padding of automl's evaluation. The TF convs' biases before BN
# are folded into the BN statistics by the converter (exact), and its 90-id
# COCO head is reduced to the 80 classes of mmdet's COCO dataset, so COCO
# evaluation lines up.
_base_ = '../efficientdet_d4_8xb16-300e_coco.py'
from mmdet_efficientdet.config_utils import (tf_anchor_generator,  # noqa: E402
                                             with_pad_value)

model = dict(
    backbone=dict(same_padding=True),
    neck=dict(same_padding=True),
    bbox_head=dict(
        anchor_generator=tf_anchor_generator(
            _base_.model.bbox_head.anchor_generator),
        # automl decodes without mmdet's 62.5x size-ratio clamp
        bbox_coder=dict(type='ConfigurableDeltaXYWHBBoxCoder',
                        wh_ratio_clip=None)))
test_pipeline = with_pad_value(_base_.test_pipeline)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
