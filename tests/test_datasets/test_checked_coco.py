"""CheckedCocoDataset warns about dropped degenerate boxes; bad images are named."""
import json
import logging
import os
import shutil

import pytest
from mmdet_efficientdet.datasets import CheckedCocoDataset, checked_coco

METAINFO = dict(classes=('circle', 'square', 'triangle'))


def _copy(shapes_root, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(shapes_root, root)
    return root


def test_degenerate_boxes_dropped_with_warning(shapes_root, tmp_path,
                                               monkeypatch):
    root = _copy(shapes_root, tmp_path)
    ann_file = root / 'annotations' / 'instances_train.json'
    coco = json.load(open(ann_file))
    first = coco['annotations'][0]
    coco['annotations'].append(dict(first, id=900, bbox=[10, 10, 0, 12], area=0))
    coco['annotations'].append(dict(first, id=901, bbox=[10, 10, 5, -3], area=-15))
    json.dump(coco, open(ann_file, 'w'))
    logged = []
    monkeypatch.setattr(checked_coco, 'print_log',
                        lambda msg, logger, level: logged.append((msg, level)))
    dataset = CheckedCocoDataset(
        data_root=str(root), ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'), pipeline=[], metainfo=METAINFO,
        filter_cfg=dict(filter_empty_gt=False))
    assert len(logged) == 1 and logged[0][1] == logging.WARNING
    text = logged[0][0]
    assert 'dropped 2 degenerate box(es)' in text
    assert 'annotation 900' in text and 'annotation 901' in text
    kept = sum(len(d['instances']) for d in (dataset.get_data_info(i) for i in range(len(dataset))))
    assert kept == len(coco['annotations']) - 2


@pytest.mark.parametrize('damage', ['corrupt', 'missing'])
def test_bad_image_names_the_file(shapes_root, tmp_path, damage):
    root = _copy(shapes_root, tmp_path)
    target = root / 'train' / '000002.png'
    if damage == 'corrupt':
        target.write_bytes(b'\x89PNG\r\n\x1a\n garbage')
    else:
        os.remove(target)
    dataset = CheckedCocoDataset(
        data_root=str(root), ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'), test_mode=True, metainfo=METAINFO,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations', with_bbox=True)])
    index = [i for i, d in enumerate(dataset.get_data_info(j) for j in range(len(dataset)))
             if d['img_path'].endswith('000002.png')][0]
    with pytest.raises(Exception, match='000002.png'):
        dataset[index]
