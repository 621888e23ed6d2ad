"""The generated shapes dataset."""
import json
import os.path as osp

import cv2

from mmdet_efficientdet.datasets import make_shapes_dataset


def test_generates_valid_coco(tmp_path):
    files = make_shapes_dataset(
        str(tmp_path), num_train=5, num_val=3, image_size=96, min_size=16, max_size=40, seed=3)
    train = json.load(open(files['train']))
    assert [c['name'] for c in train['categories']] == ['circle', 'square', 'triangle']
    assert len(train['images']) == 5 and len(train['annotations']) >= 5
    for ann in train['annotations']:
        x, y, w, h = ann['bbox']
        assert 16 <= w <= 40 and 16 <= h <= 40 and x + w <= 96 and y + h <= 96
    img = cv2.imread(osp.join(str(tmp_path), 'train', train['images'][0]['file_name']))
    assert img.shape == (96, 96, 3)


def test_deterministic_for_a_seed(tmp_path):
    a = make_shapes_dataset(str(tmp_path / 'a'), 3, 1, 64, min_size=8, max_size=24, seed=7)
    b = make_shapes_dataset(str(tmp_path / 'b'), 3, 1, 64, min_size=8, max_size=24, seed=7)
    assert json.load(open(a['train']))['annotations'] == json.load(open(b['train']))['annotations']
