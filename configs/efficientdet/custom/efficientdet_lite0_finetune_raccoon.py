# The Lite0 fine-tuning template on the raccoon photos (200 real photos, one
# class, MIT), with the author's split (160 train / 40 val), filled exactly as
# the template's comments say. Fetch and convert first (README walkthrough):
#   .venv/bin/python tools/misc/download_dataset.py raccoon --out data/raccoon
#   .venv/bin/python tools/dataset_converters/labelled_to_coco.py \
#       --images data/raccoon/images --xml data/raccoon/annotations \
#       --train-list data/raccoon/data/train_labels.csv \
#       --val-list data/raccoon/data/test_labels.csv --out data/raccoon_coco
_base_ = './efficientdet_lite0_finetune_custom-coco.py'

data_root = 'data/raccoon_coco/'  # --out of labelled_to_coco.py
image_dir = 'data/raccoon/images/'  # --images of labelled_to_coco.py
classes = ('raccoon', )

metainfo = dict(classes=classes)
model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(
    dataset=dict(
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_train.json',
        data_prefix=dict(img=image_dir)))
val_dataloader = dict(
    dataset=dict(
        metainfo=metainfo,
        ann_file=data_root + 'annotations/instances_val.json',
        data_prefix=dict(img=image_dir)))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
