"""YOLO txt labels: rows, names files, a folder with negatives and bad rows."""
import cv2
import numpy as np
import pytest

from mmdet_efficientdet.datasets.yolo_labels import (parse_yolo_row, read_class_names,
                                                     read_yolo_folder)
from mmdet_efficientdet.errors import UserError


def test_a_box_row_and_a_polygon_row():
    assert parse_yolo_row('1 0.5 0.25 0.2 0.1', 3) == pytest.approx((1, 0.4, 0.2, 0.6, 0.3))
    assert parse_yolo_row('0 0.1 0.2 0.3 0.2 0.2 0.6', 1) == pytest.approx((0, 0.1, 0.2, 0.3, 0.6))


@pytest.mark.parametrize('row, message', [
    ('0 0.5 0.5 0.1', '4 fields'),
    ('0 0.5 0.5 0.1 0.1 0.2', '6 fields'),
    ('car 0.5 0.5 0.1 0.1', "class 'car' is not an index"),
    ('3 0.5 0.5 0.1 0.1', "class '3' is not an index of the 3 names"),
    ('0 0.5 0.5 0 0.1', 'no area'),
    ('0 1.2 0.5 0.2 0.1', 'outside 0..1'),
    ('0 0.5 x 0.1 0.1', 'could not convert'),
])
def test_bad_rows_say_why(row, message):
    with pytest.raises(ValueError, match=message):
        parse_yolo_row(row, 3)


def test_names_from_txt_and_data_yaml(tmp_path):
    (tmp_path / 'classes.txt').write_text('car\ntruck\n\n')
    (tmp_path / 'list.yaml').write_text('names: [car, truck]\n')
    (tmp_path / 'dict.yaml').write_text("names:\n  1: truck\n  0: car\npath: .\n")
    for name in ('classes.txt', 'list.yaml', 'dict.yaml'):
        assert read_class_names(str(tmp_path / name)) == ['car', 'truck']
    (tmp_path / 'twice.txt').write_text('car\ncar\n')
    with pytest.raises(UserError, match='given twice'):
        read_class_names(str(tmp_path / 'twice.txt'))
    with pytest.raises(UserError, match='not found'):
        read_class_names(str(tmp_path / 'none.txt'))


def test_a_folder_with_a_negative_a_bad_row_and_a_stray_label(tmp_path):
    images, labels = tmp_path / 'images', tmp_path / 'labels'
    images.mkdir()
    labels.mkdir()
    for name in ('a.jpg', 'b.png', 'c.jpg'):
        cv2.imwrite(str(images / name), np.zeros((20, 40, 3), np.uint8))
    (labels / 'a.txt').write_text('0 0.5 0.5 0.5 0.5\n1 0.25 0.25 0.1 0.1\n\n')
    (labels / 'c.txt').write_text('0 0.5 0.5 0.5 0.5\n0 0.5 0.5 0.5\n')
    (labels / 'stray.txt').write_text('0 0.5 0.5 0.5 0.5\n')
    problems, left_out = [], set()
    found = read_yolo_folder(str(labels), str(images), ['car', 'bus'], problems, left_out)
    assert [i.file_name for i in found] == ['a.jpg', 'b.png']
    assert found[0].boxes == [('car', 0.25, 0.25, 0.75, 0.75),
                              ('bus', pytest.approx(0.2), pytest.approx(0.2), pytest.approx(0.3),
                               pytest.approx(0.3))]
    assert found[0].normalized and found[1].boxes == []  # no label file: a negative
    assert found[0].pixel_boxes(40, 20)[0] == ('car', 10.0, 5.0, 30.0, 15.0)
    assert left_out == {'c.jpg'}
    assert problems == [
        f'{labels}/stray.txt: no image of that name in {images}',
        f'{labels}/c.txt:2: bad row (4 fields: expected class x_center y_center width height '
        f'(or class x1 y1 x2 y2 ... for a polygon)); image c.jpg left out'
    ]
