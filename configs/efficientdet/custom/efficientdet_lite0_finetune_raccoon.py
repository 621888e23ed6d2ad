# The Lite0 fine-tuning template on the raccoon photos (200 real photos, one
# class, MIT; ../shared/data/raccoon beside the repository), with the author's
# split (160 train / 40 val). Make the json first (README walkthrough):
#   .venv/bin/python tools/dataset_converters/labelled_to_coco.py \
#       --images ../shared/data/raccoon/images \
#       --xml ../shared/data/raccoon/annotations \
#       --train-list ../shared/data/raccoon/data/train_labels.csv \
#       --val-list ../shared/data/raccoon/data/test_labels.csv \
#       --out data/raccoon_coco
_base_ = './efficientdet_lite0_finetune_custom-coco.py'

data_root = 'data/raccoon_coco/'
image_dir = '{{fileDirname}}/../../../../shared/data/raccoon/images/'
classes = ('raccoon', )

metainfo = dict(classes=classes)
model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo, data_prefix=dict(img=image_dir)))
val_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo, data_prefix=dict(img=image_dir)))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
