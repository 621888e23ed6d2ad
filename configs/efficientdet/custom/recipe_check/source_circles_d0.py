# Recipe check, step 1: a D0 "detection checkpoint of other classes": the
# shapes demo recipe trained on circles only (data from
# mmdet_efficientdet.datasets.make_shapes_dataset, docs/training.md).
_base_ = '../../demo/efficientdet_d0_shapes_demo.py'

data_root = 'data/shapes_circles/'
classes = ('circle', )
metainfo = dict(classes=classes)
model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
